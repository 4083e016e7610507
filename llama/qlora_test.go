package llama

import (
	"math"
	"runtime"
	"testing"

	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/tensor"
)

// QLoRA: a LoRA adapter trains on a quantized base kept in its blocks
// (every base matrix of the Trainable is a quantized constant, no float32
// copy is made), and its loss and adapter gradients equal those of the same
// adapter on the dequantized (f32) model, for Q8_0 and the Q4_K_M mix
// (Q4_K and Q6_K matrices), with and without activation checkpointing.
func TestQLoRAMatchesDequantized(t *testing.T) {
	for _, mix := range []QuantMix{MixQ8_0, MixQ4_KM} {
		_, _, q := writeQuantModel(t, true, mix)
		deq := q.Clone()
		if err := deq.ConvertWeights(tensor.F32); err != nil {
			t.Fatal(err)
		}
		ac := AdapterConfig{R: 4, Alpha: 8}
		vq := randomAdapterView(t, q, ac, 3)
		vd, err := deq.WithAdapter(vq.Adapter())
		if err != nil {
			t.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		tm := vq.Trainable()
		runtime.ReadMemStats(&ms)
		if grown, f32 := ms.TotalAlloc-before, uint64(deq.WeightBytes()); grown > f32/10 {
			t.Errorf("%s: Trainable allocated %d bytes (the f32 weights are %d)", mix, grown, f32)
		}
		for name, v := range map[string]*nn.Value{"embed": tm.Embed, "q": tm.Layers[0].Q, "v": tm.Layers[1].V, "down": tm.Layers[1].Down} {
			if !v.IsQuant() {
				t.Errorf("%s: %s is not a quantized constant in training", mix, name)
			}
		}
		seqs := [][]int{{1, 5, 9, 13, 17, 21, 25, 29, 33}, {1, 40, 41, 42, 43, 44, 45, 46, 47}}
		for _, ckpt := range []bool{false, true} {
			lq, gq := adapterGrads(t, vq, seqs, ckpt)
			ld, gd := adapterGrads(t, vd, seqs, ckpt)
			if d := math.Abs(float64(lq - ld)); d > 1e-5*math.Abs(float64(ld)) {
				t.Errorf("%s ckpt=%v: loss %v on the quantized base, %v dequantized", mix, ckpt, lq, ld)
			}
			scale := 0.0
			for _, v := range gd {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
			if scale == 0 || len(gq) != len(gd) {
				t.Fatalf("%s: %d/%d gradients, scale %g", mix, len(gq), len(gd), scale)
			}
			for i := range gd {
				if d := math.Abs(float64(gq[i] - gd[i])); d > 1e-4*scale {
					t.Fatalf("%s ckpt=%v: adapter gradient %d: %v quantized base, %v dequantized", mix, ckpt, i, gq[i], gd[i])
				}
			}
		}
	}
}

// adapterGrads runs NextTokenLoss on seqs through v's Trainable (with or without activation
// checkpointing) and returns the loss and every adapter parameter's gradient, concatenated.
func adapterGrads(t *testing.T, v *Model, seqs [][]int, ckpt bool) (float32, []float32) {
	t.Helper()
	tm := v.Trainable()
	tm.Checkpoint = ckpt
	for _, p := range tm.Params() {
		p.ZeroGrad()
	}
	loss, err := tm.NextTokenLoss(seqs)
	if err != nil {
		t.Fatal(err)
	}
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	var g []float32
	for _, p := range tm.Params() {
		g = append(g, p.Grad...)
	}
	return loss.Item(), g
}

// A few AdamW steps on an adapter over a Q4_K_M base lower the loss, and
// the Runner (quantized inference) of the trained view agrees with the
// training path within the quantized kernels' activation rounding.
func TestQLoRATrainingLowersLoss(t *testing.T) {
	_, _, q := writeQuantModel(t, true, MixQ4_KM)
	a, err := NewAdapter(q.Config, AdapterConfig{R: 8, Alpha: 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := q.WithAdapter(a)
	tm := v.Trainable()
	seq := []int{1, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43}
	first, last := trainAdapter(t, tm, seq, 12)
	if !(last < first-0.5) {
		t.Errorf("loss %.4f -> %.4f after 12 adapter steps on a Q4_K_M base", first, last)
	}
	_, g := adapterGrads(t, v, [][]int{seq}, false)
	if len(g) != int(a.NumParams()) {
		t.Fatalf("%d gradients for %d adapter parameters", len(g), a.NumParams())
	}
	sc, err := v.Score(seq[:1], [][]int{seq[1:]})
	if err != nil {
		t.Fatal(err)
	}
	lp, err := tm.CompletionLogProbs([]TrainSeq{{Prompt: seq[:1], Completion: seq[1:]}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(float64(lp.Sums().Data[0]) - sc[0].LogProb); d > 2e-2*math.Abs(sc[0].LogProb)+0.05 {
		t.Errorf("trained QLoRA adapter: Score %.5f, training path %.5f", sc[0].LogProb, lp.Sums().Data[0])
	}
}

// trainAdapter takes steps AdamW steps (lr 3e-2) of next-token loss on seq over tm's
// parameters and returns the first and the last loss.
func trainAdapter(t *testing.T, tm *Trainable, seq []int, steps int) (first, last float32) {
	t.Helper()
	opt := nn.NewAdamW(nn.AdamWConfig{}, nn.ParamGroup{Params: tm.Params()})
	for step := 0; step < steps; step++ {
		opt.ZeroGrad()
		loss, err := tm.NextTokenLoss([][]int{seq})
		if err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = loss.Item()
		}
		last = loss.Item()
		if err := loss.Backward(); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(3e-2); err != nil {
			t.Fatal(err)
		}
	}
	return first, last
}
