package llama

import (
	"fmt"
	"math"
	"testing"

	"github.com/popi-go/popi/nn"
)

// checkGrads compares every trainable parameter's gradient with
// grad.<name> in a golden file: max abs error relative to the golden
// tensor's max abs value must be <= tol.
func checkGrads(t *testing.T, tm *Trainable, file string, tol float64) {
	t.Helper()
	st, err := OpenSafetensors(file)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	params := tm.Params()
	if len(params) != len(st.Names()) {
		t.Errorf("%d trainable parameters, golden file has %d gradients", len(params), len(st.Names()))
	}
	var worst float64
	for _, p := range params {
		want, err := st.ReadF32("grad." + p.Name)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if len(p.Grad) != len(want) {
			t.Fatalf("%s: gradient of %d values, golden %d", p.Name, len(p.Grad), len(want))
		}
		var ref float64
		for _, v := range want {
			ref = max(ref, math.Abs(float64(v)))
		}
		rel := maxAbsDiff(p.Grad, want) / ref
		worst = max(worst, rel)
		if rel > tol {
			t.Errorf("%s: gradient relative error %.3g > %.g", p.Name, rel, tol)
		}
	}
	t.Logf("%s: worst relative gradient error %.3g over %d tensors", file, worst, len(params))
}

func TestTrainGradientsGolden(t *testing.T) {
	seq := goldenInputs(t)[1]
	for _, tc := range []struct {
		sub, grads string
		loss       float64
		checkpoint bool
		fusedHead  bool
	}{
		{".", "grads.safetensors", 6.394032741727694, false, false},
		{"untied", "untied/grads.safetensors", 6.634461809441644, false, false},
		{".", "grads.safetensors", 6.394032741727694, true, false},
		{"untied", "untied/grads.safetensors", 6.634461809441644, true, true},
		{".", "grads.safetensors", 6.394032741727694, false, true},
	} {
		t.Run(fmt.Sprintf("%s/checkpoint=%v/fused=%v", tc.sub, tc.checkpoint, tc.fusedHead), func(t *testing.T) {
			if tc.fusedHead {
				defer func(v int) { fusedHeadElems = v }(fusedHeadElems)
				fusedHeadElems = 0
			}
			m := loadGolden(t, tc.sub, LoadOptions{})
			tm := m.Trainable()
			tm.Checkpoint = tc.checkpoint
			loss, err := tm.NextTokenLoss([][]int{seq})
			if err != nil {
				t.Fatal(err)
			}
			got := float64(loss.Item())
			t.Logf("loss %.7f (PyTorch f64 %.7f)", got, tc.loss)
			if math.Abs(got-tc.loss) > 1e-5 {
				t.Errorf("loss %.7f, want %.7f", got, tc.loss)
			}
			if err := loss.Backward(); err != nil {
				t.Fatal(err)
			}
			checkGrads(t, tm, goldenPath(tc.grads), 1e-4)
		})
	}
}

func TestTrainDPOGradientsGolden(t *testing.T) {
	for _, fused := range []bool{false, true} {
		t.Run(fmt.Sprintf("fused=%v", fused), func(t *testing.T) {
			if fused {
				defer func(v int) { fusedHeadElems = v }(fusedHeadElems)
				fusedHeadElems = 0
			}
			testDPOGradients(t)
		})
	}
}

func testDPOGradients(t *testing.T) {
	var g dpoGolden
	readJSON(t, goldenPath("dpo.json"), &g)
	ref := loadGolden(t, "ref", LoadOptions{})
	refScores, err := ref.Score(g.Prompt, [][]int{g.Chosen, g.Rejected})
	if err != nil {
		t.Fatal(err)
	}
	m := loadGolden(t, ".", LoadOptions{})
	tm := m.Trainable()
	lp, err := tm.CompletionLogProbs([]TrainSeq{{g.Prompt, g.Chosen}, {g.Prompt, g.Rejected}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	toks := lp.Tokens()
	for j, v := range g.PCTok {
		if math.Abs(toks[0][j]-v) > 1e-4 {
			t.Errorf("chosen token %d: log-prob %.6f, want %.6f", j, toks[0][j], v)
		}
	}
	// h = (pc - rc) - (pr - rr); loss = -logsigmoid(beta h)
	refs := nn.FromSlice([]float32{float32(refScores[0].LogProb), float32(refScores[1].LogProb)}, 2)
	h := nn.MaskedSum(nn.Sub(lp.Sums(), refs), []float32{1, -1})
	loss := nn.Neg(nn.LogSigmoid(nn.Scale(h, 0.1)))
	t.Logf("h %.6f (want %.6f), DPO loss %.7f (want %.7f)", h.Item(), -5.74976039192218, loss.Item(), 1.02140287722947)
	if math.Abs(float64(loss.Item())-1.02140287722947) > 1e-5 {
		t.Errorf("DPO loss %.7f", loss.Item())
	}
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	checkGrads(t, tm, goldenPath("dpo_grads.safetensors"), 1e-4)
}

// The training forward, on a right-padded batch, reproduces the inference
// logits of every sequence; per-token log-probs equal Score's.
func TestTrainForwardMatchesInference(t *testing.T) {
	m := loadGolden(t, "untied", LoadOptions{})
	seqs := goldenInputs(t)
	T := len(seqs[2])
	ids := make([][]int, len(seqs))
	for i, s := range seqs {
		ids[i] = make([]int, T)
		copy(ids[i], s)
	}
	tm := m.Trainable()
	var logits *nn.Value
	nn.NoGrad(func() {
		var err error
		if logits, err = tm.Logits(ids); err != nil {
			t.Fatal(err)
		}
	})
	V := m.Config.Vocab
	for i, s := range seqs {
		want := fullLogits(t, m, s)
		if d := maxAbsDiff(logits.Data[i*T*V:(i*T+len(s))*V], want); d > 1e-4 {
			t.Errorf("seq %d: training logits differ from inference by %.3g", i, d)
		}
	}
	prompt := seqs[1][:10]
	conts := [][]int{seqs[1][10:30], {5}, {}, seqs[2][:7]}
	batch := make([]TrainSeq, len(conts))
	for i, c := range conts {
		batch[i] = TrainSeq{prompt, c}
	}
	scores, err := m.Score(prompt, conts)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := tm.CompletionLogProbs(batch, 0)
	if err != nil {
		t.Fatal(err)
	}
	sums := lp.Sums().Data
	for i, toks := range lp.Tokens() {
		if len(toks) != len(conts[i]) {
			t.Fatalf("continuation %d: %d log-probs for %d tokens", i, len(toks), len(conts[i]))
		}
		for j, v := range toks {
			if math.Abs(v-scores[i].TokenLogProbs[j]) > 1e-4 {
				t.Errorf("continuation %d token %d: %.6f vs Score %.6f", i, j, v, scores[i].TokenLogProbs[j])
			}
		}
		if math.Abs(float64(sums[i])-scores[i].LogProb) > 1e-3 {
			t.Errorf("continuation %d: sum %.6f vs Score %.6f", i, sums[i], scores[i].LogProb)
		}
	}
	// Backward with per-token gradients equals Backward of the weighted sum.
	dlp := make([][]float64, len(conts))
	for i := range dlp {
		dlp[i] = make([]float64, len(conts[i]))
		for j := range dlp[i] {
			dlp[i][j] = 0.5 + float64(i) - 0.1*float64(j)
		}
	}
	if err := lp.Backward(dlp); err != nil {
		t.Fatal(err)
	}
	g1 := append([]float32(nil), tm.Layers[0].Q.Grad...)
	nn.ZeroGrads(tm.Params())
	lp2, err := tm.CompletionLogProbs(batch, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := make([]float32, lp2.Flat.Numel())
	for i := range dlp {
		for j, v := range dlp[i] {
			w[lp2.Offsets[i]+j] = float32(v)
		}
	}
	if err := nn.MaskedSum(lp2.Flat, w).Backward(); err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(g1, tm.Layers[0].Q.Grad); d > 1e-5 || len(g1) == 0 {
		t.Errorf("LogProbs.Backward differs from the weighted-sum gradient by %.3g", d)
	}
	if err := lp.Backward(dlp[:1]); err == nil {
		t.Error("mis-shaped gradient accepted")
	}
}

// With 16-bit weights the matrices are frozen constants: only the norm
// weights train, and their gradients equal those of the same values held
// in f32.
func TestTrainFrozenHalfWeights(t *testing.T) {
	seq := goldenInputs(t)[1]
	half := loadGolden(t, "bf16", LoadOptions{}).Trainable()
	wide := loadGolden(t, "bf16", LoadOptions{WeightType: "f32"}).Trainable()
	if n := len(half.Params()); n != 2*len(half.Layers)+1 {
		t.Fatalf("%d trainable values with bf16 weights, want only the %d norms", n, 2*len(half.Layers)+1)
	}
	for _, tm := range []*Trainable{half, wide} {
		loss, err := tm.NextTokenLoss([][]int{seq})
		if err != nil {
			t.Fatal(err)
		}
		if err := loss.Backward(); err != nil {
			t.Fatal(err)
		}
	}
	pairs := [][2]*nn.Value{{half.Norm, wide.Norm}}
	for i := range half.Layers {
		pairs = append(pairs, [2]*nn.Value{half.Layers[i].AttnNorm, wide.Layers[i].AttnNorm}, [2]*nn.Value{half.Layers[i].MLPNorm, wide.Layers[i].MLPNorm})
	}
	for _, p := range pairs {
		var ref float64
		for _, v := range p[1].Grad {
			ref = max(ref, math.Abs(float64(v)))
		}
		if rel := maxAbsDiff(p[0].Grad, p[1].Grad) / ref; rel > 1e-5 || ref == 0 {
			t.Errorf("%s: frozen-bf16 gradient differs from f32 by %.3g relative", p[0].Name, rel)
		}
	}
}

// TestTrainableStacksFusedWeights: with the model's fused f32 buffers the
// Q/K/V and gate/up parameters are stacked for nn.LinearStack (one GEMM),
// and their gradients come out stacked too.
func TestTrainableStacksFusedWeights(t *testing.T) {
	tm := loadGolden(t, ".", LoadOptions{}).Trainable()
	loss, err := tm.NextTokenLoss([][]int{goldenInputs(t)[1]})
	if err != nil {
		t.Fatal(err)
	}
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	adjacent := func(a, b []float32) bool {
		return len(a) > 0 && len(b) > 0 && cap(a) > len(a) && &a[:len(a)+1][len(a)] == &b[0]
	}
	for i, l := range tm.Layers {
		for _, g := range [][2]*nn.Value{{l.Q, l.K}, {l.Gate, l.Up}} {
			if !adjacent(g[0].Data, g[1].Data) || !adjacent(g[0].Grad, g[1].Grad) {
				t.Errorf("layer %d: %s and %s weights/gradients not stacked", i, g[0].Name, g[1].Name)
			}
		}
		if !adjacent(l.Q.Data[:len(l.Q.Data)+len(l.K.Data)], l.V.Data) || !adjacent(l.Q.Grad[:len(l.Q.Grad)+len(l.K.Grad)], l.V.Grad) {
			t.Errorf("layer %d: v_proj not stacked after k_proj", i)
		}
	}
}
