package llama

import (
	"math"
	"slices"
	"testing"

	"github.com/popi-go/popi/nn"
)

func injectModel(t *testing.T) *Model {
	t.Helper()
	cfg := presetConfig("5m")
	cfg.Vocab, cfg.Hidden, cfg.Layers, cfg.Intermediate, cfg.HeadDim = 64, 32, 2, 48, 4
	m, err := NewRandom(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func embedRow(m *Model, id int) []float32 {
	v := make([]float32, m.Config.Hidden)
	m.Embed.Row(id, v)
	return v
}

// Injecting a token's own embedding row reproduces the normal forward exactly: the
// inference Runner (scores and generation) and the training forward.
func TestInjectOwnEmbeddingIsIdentity(t *testing.T) {
	m := injectModel(t)
	prompt := []int{1, 7, 9, 3, 12}
	conts := [][]int{{4, 5, 6}, {8, 2}}
	inj := []Injection{{Pos: 2, Vec: embedRow(m, prompt[2])}}
	r := m.NewRunner()
	want, err := r.Score(prompt, conts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.ScoreInjected(prompt, inj, conts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !slices.Equal(want[i].TokenLogProbs, got[i].TokenLogProbs) {
			t.Fatalf("continuation %d: injected %v, plain %v", i, got[i].TokenLogProbs, want[i].TokenLogProbs)
		}
	}
	opts := GenerateOptions{MaxTokens: 6, StopTokens: []int{}}
	g0, err := r.GenerateBatch([][]int{prompt, prompt[:3]}, opts)
	if err != nil {
		t.Fatal(err)
	}
	g1, err := r.GenerateBatchInjected([][]int{prompt, prompt[:3]}, [][]Injection{inj, nil}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g0 {
		if !slices.Equal(g0[i].Tokens, g1[i].Tokens) {
			t.Fatalf("generation %d: injected %v, plain %v", i, g1[i].Tokens, g0[i].Tokens)
		}
	}

	tm := m.Trainable()
	seqs := []TrainSeq{{Prompt: prompt, Completion: conts[0]}, {Prompt: prompt[:4], Completion: conts[1]}}
	var lp0, lp1 *LogProbs
	nn.NoGrad(func() {
		lp0, err = tm.CompletionLogProbs(seqs, 1)
		if err != nil {
			return
		}
		vecs := nn.FromSlice(append(embedRow(m, prompt[2]), embedRow(m, prompt[0])...), 2, m.Config.Hidden)
		lp1, err = tm.CompletionLogProbsInjected(seqs, &TrainInjection{Vecs: vecs, Seq: []int{0, 1}, Pos: []int{2, 0}}, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lp0.Flat.Data, lp1.Flat.Data) {
		t.Fatalf("training forward: injected %v, plain %v", lp1.Flat.Data, lp0.Flat.Data)
	}
	// And the training forward agrees with the inference Runner on an injected vector
	// that is no token's embedding.
	v := make([]float32, m.Config.Hidden)
	for i := range v {
		v[i] = float32(math.Sin(float64(i))) * 0.05
	}
	sc, err := r.ScoreInjected(prompt, []Injection{{Pos: 1, Vec: v}}, conts[:1])
	if err != nil {
		t.Fatal(err)
	}
	nn.NoGrad(func() {
		lp1, err = tm.CompletionLogProbsInjected(seqs[:1], &TrainInjection{Vecs: nn.FromSlice(v, 1, len(v)), Seq: []int{0}, Pos: []int{1}}, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	for j, w := range sc[0].TokenLogProbs {
		if d := math.Abs(float64(lp1.Flat.Data[j]) - w); d > 1e-4 {
			t.Errorf("token %d: training forward %v, runner %v", j, lp1.Flat.Data[j], w)
		}
	}
	if p, _ := r.Score(prompt, conts[:1]); slices.Equal(p[0].TokenLogProbs, sc[0].TokenLogProbs) {
		t.Error("injecting another vector changed nothing")
	}
}

// The gradient with respect to an injected vector matches central finite differences of
// the (float64-summed) completion log-probability.
func TestInjectGradientFiniteDifferences(t *testing.T) {
	m := injectModel(t)
	tm := m.Trainable()
	seqs := []TrainSeq{{Prompt: []int{1, 7, 9, 3}, Completion: []int{4, 5, 6}}, {Prompt: []int{2, 8}, Completion: []int{11, 3}}}
	H := m.Config.Hidden
	data := make([]float32, 2*H)
	for i := range data {
		data[i] = float32(math.Cos(float64(3*i+1))) * 0.1
	}
	inj := func(vecs *nn.Value) *TrainInjection {
		return &TrainInjection{Vecs: vecs, Seq: []int{0, 1}, Pos: []int{1, 1}}
	}
	// objective: Σ_i c_i · log p(completion_i), c = (1, -0.5)
	coef := []float64{1, -0.5}
	obj := func() float64 {
		var s float64
		nn.NoGrad(func() {
			lp, err := tm.CompletionLogProbsInjected(seqs, inj(nn.FromSlice(data, 2, H)), 1)
			if err != nil {
				t.Fatal(err)
			}
			for i, tok := range lp.Tokens() {
				for _, v := range tok {
					s += coef[i] * v
				}
			}
		})
		return s
	}
	vecs := nn.NewParam(data, 2, H)
	lp, err := tm.CompletionLogProbsInjected(seqs, inj(vecs), 1)
	if err != nil {
		t.Fatal(err)
	}
	dlp := make([][]float64, 2)
	for i, tok := range lp.Tokens() {
		dlp[i] = make([]float64, len(tok))
		for j := range tok {
			dlp[i][j] = coef[i]
		}
	}
	if err := lp.Backward(dlp); err != nil {
		t.Fatal(err)
	}
	grad := slices.Clone(vecs.Grad)
	nn.ZeroGrads(tm.Params())
	var worst, ref float64
	for _, i := range []int{0, 3, 17, H - 1, H, H + 5, 2*H - 1} {
		const eps = 1e-2
		old := data[i]
		data[i] = old + eps
		up := obj()
		data[i] = old - eps
		down := obj()
		data[i] = old
		fd := (up - down) / (2 * eps)
		worst = max(worst, math.Abs(fd-float64(grad[i])))
		ref = max(ref, math.Abs(fd))
	}
	if ref == 0 {
		t.Fatal("all finite differences are zero")
	}
	if worst > 2e-2*ref+1e-4 {
		t.Fatalf("injected-vector gradient differs from finite differences by %.3g (scale %.3g)", worst, ref)
	}
	t.Logf("max |analytic - finite difference| %.3g at scale %.3g", worst, ref)
}

func TestInjectRejectsBadInput(t *testing.T) {
	m := injectModel(t)
	r := m.NewRunner()
	H := m.Config.Hidden
	for name, inj := range map[string][]Injection{
		"position":   {{Pos: 3, Vec: make([]float32, H)}},
		"negative":   {{Pos: -1, Vec: make([]float32, H)}},
		"size":       {{Pos: 0, Vec: make([]float32, H-1)}},
		"twice":      {{Pos: 0, Vec: make([]float32, H)}, {Pos: 0, Vec: make([]float32, H)}},
		"non-finite": {{Pos: 0, Vec: append(make([]float32, H-1), float32(math.NaN()))}},
	} {
		if _, err := r.ScoreInjected([]int{1, 2, 3}, inj, [][]int{{4}}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := r.GenerateBatchInjected([][]int{{1}}, nil, GenerateOptions{MaxTokens: 1}); err == nil {
		t.Error("missing injection lists: no error")
	}
	tm := m.Trainable()
	seqs := []TrainSeq{{Prompt: []int{1, 2}, Completion: []int{3}}}
	for name, ti := range map[string]*TrainInjection{
		"position": {Vecs: nn.FromSlice(make([]float32, H), 1, H), Seq: []int{0}, Pos: []int{2}},
		"sequence": {Vecs: nn.FromSlice(make([]float32, H), 1, H), Seq: []int{1}, Pos: []int{0}},
		"shape":    {Vecs: nn.FromSlice(make([]float32, H), 1, H), Seq: []int{0, 0}, Pos: []int{0, 1}},
	} {
		if _, err := tm.CompletionLogProbsInjected(seqs, ti, 1); err == nil {
			t.Errorf("train %s: no error", name)
		}
	}
}
