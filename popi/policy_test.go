package popi

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

func testSeqs(f *tinyFixture) []rl.Sequence {
	p1 := f.Enc.Prompt(prompt.Messages{System: "s", User: "tell me about rain"})
	p2 := f.Enc.Prompt(prompt.Messages{User: "why is the sky blue"})
	return []rl.Sequence{
		{Prompt: p1, Completion: f.Enc.Reply("rain is water")},
		{Prompt: p1, Completion: f.Enc.Reply("it is wet and cold")},
		{Prompt: p2, Completion: f.Enc.Reply("light")},
	}
}

// Score (KV-cache path with a shared prefill) and LogProbs (autograd path) agree, also with
// a temperature.
func TestPolicyScoreMatchesLogProbs(t *testing.T) {
	f := getFixture(t)
	p, _ := NewLMPolicy(f.model(t, 1), f.Enc)
	seqs := testSeqs(f)
	for _, temp := range []float64{0, 0.7} {
		p.Temperature = temp
		a, err := p.Score(context.Background(), seqs)
		if err != nil {
			t.Fatal(err)
		}
		b, bw, err := p.LogProbs(context.Background(), seqs)
		if err != nil || bw == nil {
			t.Fatal(err)
		}
		for i := range seqs {
			if len(a[i]) != len(seqs[i].Completion) || len(b[i]) != len(a[i]) {
				t.Fatalf("shape %d: %d %d", i, len(a[i]), len(b[i]))
			}
			for j := range a[i] {
				if math.Abs(a[i][j]-b[i][j]) > 2e-4 {
					t.Fatalf("T=%v seq %d token %d: score %v, log-probs %v", temp, i, j, a[i][j], b[i][j])
				}
			}
		}
	}
	if _, err := p.Score(context.Background(), []rl.Sequence{{Completion: []int{1}}}); err == nil {
		t.Fatal("empty prompt accepted")
	}
}

// The gradient LogProbs' Backward accumulates matches finite differences of the scored
// log-probs for a few parameters.
func TestPolicyGradientFiniteDifferences(t *testing.T) {
	f := getFixture(t)
	m := f.model(t, 2)
	p, _ := NewLMPolicy(m, f.Enc)
	seqs := testSeqs(f)
	// loss = Σ_i w_i Σ_t lp_it with fixed weights.
	w := []float64{0.7, -1.3, 0.4}
	loss := func() float64 {
		lp, err := p.Score(context.Background(), seqs)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for i := range lp {
			for _, v := range lp[i] {
				s += w[i] * v
			}
		}
		return s
	}
	opt := p.NewAdamW(0)
	opt.ZeroGrad()
	lp, bw, err := p.LogProbs(context.Background(), seqs)
	if err != nil {
		t.Fatal(err)
	}
	dlp := make([][]float64, len(lp))
	for i := range lp {
		dlp[i] = make([]float64, len(lp[i]))
		for j := range dlp[i] {
			dlp[i][j] = w[i]
		}
	}
	if err := bw(dlp); err != nil {
		t.Fatal(err)
	}
	params := p.Trainable().Params()
	rng := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for _, v := range []int{0, 1, len(params) - 1, len(params) / 2} {
		pv := params[v]
		for k := 0; k < 3; k++ {
			i := rng.IntN(len(pv.Data))
			g := float64(pv.Grad[i])
			old := pv.Data[i]
			const h = 1e-2
			pv.Data[i] = old + h
			up := loss()
			pv.Data[i] = old - h
			dn := loss()
			pv.Data[i] = old
			fd := (up - dn) / (2 * h)
			if math.Abs(fd-g) > 2e-2*math.Max(1, math.Abs(fd)) {
				t.Fatalf("%s[%d]: backward %v, finite difference %v", pv.Name, i, g, fd)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
}

// Sampling is a deterministic function of the RNG, stops at the end-of-turn token and decodes
// the text without it; a cloned model is independent of its source.
func TestPolicySampleAndClone(t *testing.T) {
	f := getFixture(t)
	m := f.model(t, 3)
	p, _ := NewLMPolicy(m, f.Enc)
	pr := rl.Prompt{IDs: f.Enc.Prompt(prompt.Messages{User: "hello"})}
	opts := rl.SampleOptions{Temperature: 1, MaxTokens: 12}
	a, err := p.Sample(context.Background(), pr, 4, opts, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Sample(context.Background(), pr, 4, opts, rand.New(rand.NewPCG(5, 5)))
	for i := range a {
		if !slices.Equal(a[i].IDs, b[i].IDs) || a[i].Text != b[i].Text {
			t.Fatal("sampling is not deterministic")
		}
		if n := len(a[i].IDs); n == 0 || n > 12 {
			t.Fatalf("completion length %d", n)
		}
		if a[i].Finished != (a[i].IDs[len(a[i].IDs)-1] == f.Enc.End) {
			t.Fatalf("finished flag wrong: %+v", a[i])
		}
	}
	if _, err := p.Sample(context.Background(), pr, 0, opts, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Fatal("n = 0 accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Sample(ctx, pr, 2, opts, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Fatal("cancelled context ignored")
	}
	c := CloneModel(m)
	if !slices.Equal(modelParams(c), modelParams(m)) {
		t.Fatal("clone differs")
	}
	c.Layers[0].Q.F32[0] += 1
	c.Embed.F32[0] += 1
	if m.Layers[0].Q.F32[0] == c.Layers[0].Q.F32[0] || m.Embed.F32[0] == c.Embed.F32[0] {
		t.Fatal("clone shares storage with its source")
	}
	if c.LMHead != &c.Embed {
		t.Fatal("clone's tied lm_head does not point at its own embedding")
	}
	if err := CopyWeights(c, m); err != nil || !slices.Equal(modelParams(c), modelParams(m)) {
		t.Fatalf("CopyWeights: %v", err)
	}
	other := *f.Cfg
	other.Hidden = 32
	other.HeadDim = 8
	if err := CopyWeights(c, f.modelOf(t, &other)); err == nil {
		t.Fatal("CopyWeights across shapes accepted")
	}
	// The encoder round-trips replies and strips the end token.
	if got := f.Enc.DecodeReply(f.Enc.Reply("  a short answer ")); got != "a short answer" {
		t.Fatalf("DecodeReply(Reply) = %q", got)
	}
}
