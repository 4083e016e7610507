package llama

import (
	"math"
	"strings"
	"testing"

	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/tensor"
)

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// trainLogits returns the Trainable's logits of one sequence (graph
// recorded when grad is set, as in a training step).
func trainLogits(t *testing.T, tm *Trainable, ids []int, grad bool) []float32 {
	t.Helper()
	var lg *nn.Value
	run := func() {
		var err error
		if lg, err = tm.Logits([][]int{ids}); err != nil {
			t.Fatal(err)
		}
	}
	if grad {
		run()
	} else {
		nn.NoGrad(run)
	}
	return append([]float32(nil), lg.Data...)
}

// A fresh adapter (B = 0) and a view without adapter reproduce the base
// model's logits bit for bit, in inference and in training, for f32 and
// bf16 bases.
func TestAdapterZeroBIsBase(t *testing.T) {
	seq := goldenInputs(t)[1]
	for _, sub := range []string{".", "bf16", "untied"} {
		base := loadGolden(t, sub, LoadOptions{})
		a, err := NewAdapter(base.Config, AdapterConfig{R: 8, Alpha: 16, Dropout: 0.1}, 1)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := base.WithAdapter(nil)
		fresh, _ := base.WithAdapter(a)
		want := fullLogits(t, base, seq)
		for name, v := range map[string]*Model{"nil adapter": plain, "B = 0": fresh} {
			if got := fullLogits(t, v, seq); !bitsEqual(got, want) {
				t.Errorf("%s %s: Runner logits differ from the base by %.3g", sub, name, maxAbsDiff(got, want))
			}
		}
		// Training path, with dropout active on the adapter's input.
		wantT := trainLogits(t, base.Trainable(), seq, false)
		wantView := trainLogits(t, plain.Trainable(), seq, false)
		gotT := trainLogits(t, fresh.Trainable(), seq, true)
		if !bitsEqual(gotT, wantView) {
			t.Errorf("%s: Trainable logits with B = 0 differ from the frozen base by %.3g", sub, maxAbsDiff(gotT, wantView))
		}
		if d := maxAbsDiff(wantView, wantT); sub != "bf16" && d != 0 || d > 1e-5 {
			t.Errorf("%s: frozen-view Trainable logits differ from the base Trainable's by %.3g", sub, d)
		}
	}
}

// Several views share one base; an optimizer step on one view's adapter
// shows in its Runner (and in any other view of the same adapter) at once
// and leaves the base and the other views alone.
func TestAdapterViewsShareBase(t *testing.T) {
	base := loadGolden(t, "bf16", LoadOptions{})
	seq := goldenInputs(t)[1]
	phi, err := NewAdapter(base.Config, AdapterConfig{R: 4, Alpha: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	theta, err := NewAdapter(base.Config, AdapterConfig{R: 2, Alpha: 2, Targets: []string{"q_proj", "v_proj"}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	writer, _ := base.WithAdapter(phi)
	ref, _ := base.WithAdapter(nil)
	gen, _ := base.WithAdapter(theta)
	if &writer.Layers[0].Q.U16[0] != &base.Layers[0].Q.U16[0] || &gen.Embed.U16[0] != &base.Embed.U16[0] {
		t.Fatal("views copied base weights")
	}
	tm := writer.Trainable()
	params := tm.Params()
	if len(params) != 2*NumProj*base.Config.Layers {
		t.Fatalf("%d parameters, want only the %d adapter matrices", len(params), 2*NumProj*base.Config.Layers)
	}
	for _, p := range params {
		if !strings.HasSuffix(p.Name, ".lora_A.weight") && !strings.HasSuffix(p.Name, ".lora_B.weight") {
			t.Fatalf("parameter %q is not an adapter matrix", p.Name)
		}
	}
	if n := len(ref.Trainable().Params()); n != 0 {
		t.Fatalf("reference view has %d parameters, want 0", n)
	}
	before := fullLogits(t, base, seq)
	r := writer.NewRunner()
	opt := nn.NewAdamW(nn.AdamWConfig{}, nn.ParamGroup{Params: params})
	loss, err := tm.NextTokenLoss([][]int{seq})
	if err != nil {
		t.Fatal(err)
	}
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(1e-2); err != nil {
		t.Fatal(err)
	}
	c := writer.NewKVCache(len(seq))
	b := []Seq{{Cache: c, Tokens: seq, AllLogits: true}}
	if err := r.Forward(b); err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(b[0].Logits, before); d == 0 {
		t.Error("the optimizer step did not reach the writer's Runner")
	}
	again, _ := base.WithAdapter(phi)
	if !bitsEqual(fullLogits(t, again, seq), b[0].Logits) {
		t.Error("a second view of the same adapter disagrees")
	}
	for name, v := range map[string]*Model{"base": base, "reference": ref, "generator (B = 0)": gen} {
		if !bitsEqual(fullLogits(t, v, seq), before) {
			t.Errorf("%s logits changed after the writer's step", name)
		}
	}
}

// Runner logits with an adapter (all targets, random B) equal the
// training path's, for f32 and bf16 bases, untied head included.
func TestAdapterRunnerMatchesTrainable(t *testing.T) {
	seqs := goldenInputs(t)
	for _, sub := range []string{".", "bf16", "untied"} {
		base := loadGolden(t, sub, LoadOptions{})
		v := randomAdapterView(t, base, AdapterConfig{R: 8, Alpha: 16, Dropout: 0.2}, 3)
		tm := v.Trainable()
		for _, s := range seqs[:2] {
			got := fullLogits(t, v, s)
			want := trainLogits(t, tm, s, false) // no graph: no dropout
			if rel := relErr(got, want); rel > 1e-5 {
				t.Errorf("%s: Runner vs Trainable logits relative error %.3g", sub, rel)
			}
			if maxAbsDiff(got, fullLogits(t, base, s)) < 1e-2 {
				t.Errorf("%s: the adapter hardly changes the logits", sub)
			}
		}
	}
}

// randomAdapterView returns a view of base with a fresh adapter whose B
// is random (as after training).
func randomAdapterView(t testing.TB, base *Model, ac AdapterConfig, seed uint64) *Model {
	t.Helper()
	a, err := NewAdapter(base.Config, ac, seed)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	a.each(func(_, _ int, w *LoRAWeights) {
		for j := range w.B {
			i++
			w.B[j] = float32(math.Sin(float64(i)*0.7)) * 0.1
		}
	})
	v, err := base.WithAdapter(a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Merging in f32 reproduces the adapter's logits within 1e-5 relative; a
// bf16 merge rounds each merged weight once (checked exactly) and stays
// within bf16 rounding of the logits.
func TestAdapterMerge(t *testing.T) {
	seqs := goldenInputs(t)
	for _, sub := range []string{".", "bf16"} {
		base := loadGolden(t, sub, LoadOptions{})
		v := randomAdapterView(t, base, AdapterConfig{R: 4, Alpha: 8, Targets: []string{"q_proj", "k_proj", "o_proj", "up_proj", "down_proj"}}, 5)
		merged, err := v.Merge()
		if err != nil {
			t.Fatal(err)
		}
		if merged.IsView() || merged.Adapter() != nil {
			t.Fatal("merged model is still a view")
		}
		if sub == "bf16" {
			// Each merged weight is RNE_bf16(W + scale·B·A computed in f32).
			w := v.Adapter().Layers[1][ProjO]
			exact := base.Layers[1].O.ToF32()
			s := v.Adapter().Config.Scale()
			for o := 0; o < w.Out; o++ {
				for i := 0; i < w.In; i++ {
					var acc float32
					for k := 0; k < w.R; k++ {
						acc += w.B[o*w.R+k] * w.A[k*w.In+i]
					}
					exact[o*w.In+i] += s * acc
				}
			}
			want := make([]uint16, len(exact))
			tensor.BF16.FromF32(want, exact)
			diff := 0
			for i := range want {
				if want[i] != merged.Layers[1].O.U16[i] {
					diff++
				}
			}
			if diff > len(want)/1000 { // ties of the f32 sum's last bit at most
				t.Errorf("bf16 merge: %d of %d weights differ from RNE(f32 merge)", diff, len(want))
			}
		}
		for _, s := range seqs[:2] {
			got, want := fullLogits(t, merged, s), fullLogits(t, v, s)
			rel := relErr(got, want)
			t.Logf("%s: merged vs adapter logits: relative error %.3g", sub, rel)
			tol := 1e-5
			if sub == "bf16" {
				tol = 2e-2 // bf16 rounding of the merged weights (2^-9 relative each)
			}
			if rel > tol {
				t.Errorf("%s: merged logits relative error %.3g > %g", sub, rel, tol)
			}
		}
		if bitsEqual(base.Layers[0].Q.ToF32(), merged.Layers[0].Q.ToF32()) {
			t.Errorf("%s: merge left q_proj unchanged", sub)
		}
	}
}

// The tiny models keep every activation; checkpointing turns on at
// AutoCheckpointParams.
func TestAutoCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100M-parameter model")
	}
	if loadGolden(t, ".", LoadOptions{}).Trainable().Checkpoint {
		t.Error("checkpointing on for the tiny model")
	}
	cfg := presetConfig("5m")
	cfg.Vocab = AutoCheckpointParams/cfg.Hidden + 1 // the embedding alone crosses the threshold
	m, err := NewRandomAs(cfg, 1, tensor.BF16)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Trainable().Checkpoint {
		t.Errorf("checkpointing off for a model of %d parameters", m.NumParams())
	}
}

// Bad adapters are refused with errors, never a panic.
func TestAdapterRejects(t *testing.T) {
	base := loadGolden(t, ".", LoadOptions{})
	for name, ac := range map[string]AdapterConfig{
		"rank 0":        {R: 0, Alpha: 1},
		"alpha NaN":     {R: 2, Alpha: math.NaN()},
		"dropout 1":     {R: 2, Alpha: 1, Dropout: 1},
		"lm_head":       {R: 2, Alpha: 1, Targets: []string{"lm_head"}},
		"twice":         {R: 2, Alpha: 1, Targets: []string{"q_proj", "q_proj"}},
		"layer 2 of 2":  {R: 2, Alpha: 1, Layers: []int{2}},
		"negative rank": {R: -1, Alpha: 1},
	} {
		if _, err := NewAdapter(base.Config, ac, 1); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	a, err := NewAdapter(base.Config, AdapterConfig{R: 2, Alpha: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	other := presetConfig("5m")
	m5, err := NewRandom(other, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m5.WithAdapter(a); err == nil {
		t.Error("adapter for another shape accepted")
	}
	a.Layers[1][ProjV].A[3] = float32(math.Inf(1))
	if _, err := base.WithAdapter(a); err == nil {
		t.Error("adapter with Inf accepted")
	}
	a.Layers[1][ProjV].A[3] = 0
	a.Layers[0][ProjK].R = 3
	if _, err := base.WithAdapter(a); err == nil {
		t.Error("rank mismatch accepted")
	}
}

// Save refuses a view with an adapter (its weights alone would silently
// drop the adapter).
func TestAdapterViewSaveRefused(t *testing.T) {
	base := loadGolden(t, ".", LoadOptions{})
	v := randomAdapterView(t, base, AdapterConfig{R: 2, Alpha: 2}, 1)
	if err := v.Save(t.TempDir()); err == nil {
		t.Error("Save of a view with an adapter succeeded")
	}
	plain, _ := base.WithAdapter(nil)
	if err := plain.Save(t.TempDir()); err != nil {
		t.Errorf("Save of a view without adapter: %v", err)
	}
}

// With dropout, a checkpointed block draws the same masks when it is
// recomputed: gradients equal the unchecked run's for the same seed; a
// different seed (or the next step) draws other masks; Eval turns dropout
// off.
func TestAdapterDropoutCheckpoint(t *testing.T) {
	base := loadGolden(t, "bf16", LoadOptions{})
	seq := goldenInputs(t)[1]
	v := randomAdapterView(t, base, AdapterConfig{R: 4, Alpha: 8, Dropout: 0.3}, 4)
	grads := func(checkpoint, eval bool, seed uint64, steps int) []float32 {
		tm := v.Trainable()
		tm.Checkpoint, tm.Eval, tm.DropoutSeed = checkpoint, eval, seed
		var g []float32
		for s := 0; s < steps; s++ {
			nn.ZeroGrads(tm.Params())
			loss, err := tm.NextTokenLoss([][]int{seq})
			if err != nil {
				t.Fatal(err)
			}
			if err := loss.Backward(); err != nil {
				t.Fatal(err)
			}
			g = append([]float32(nil), tm.Layers[0].LoRA[ProjQ].A.Grad...)
		}
		return g
	}
	plain, ckpt := grads(false, false, 7, 1), grads(true, false, 7, 1)
	if rel := relErr(ckpt, plain); rel > 1e-5 {
		t.Errorf("checkpointed dropout gradients differ by %.3g relative", rel)
	}
	if relErr(grads(false, false, 8, 1), plain) < 1e-3 || relErr(grads(false, false, 7, 2), plain) < 1e-3 {
		t.Error("another seed or step drew the same dropout masks")
	}
	if e1, e2 := grads(false, true, 7, 1), grads(false, true, 8, 1); !bitsEqual(e1, e2) || relErr(e1, plain) < 1e-3 {
		t.Error("Eval does not turn dropout off")
	}
}

// A few AdamW steps on the adapter alone lower the loss, and the trained
// adapter's Runner scores agree with the training path.
func TestAdapterTrainingLowersLoss(t *testing.T) {
	base := loadGolden(t, "bf16", LoadOptions{})
	seq := goldenInputs(t)[1]
	a, err := NewAdapter(base.Config, AdapterConfig{R: 8, Alpha: 16, Targets: []string{"q_proj", "v_proj", "down_proj"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := base.WithAdapter(a)
	tm := v.Trainable()
	first, last := trainAdapter(t, tm, seq, 15)
	if !(last < first-0.5) {
		t.Errorf("loss %.4f -> %.4f after 15 adapter steps", first, last)
	}
	prompt, cont := seq[:1], seq[1:]
	sc, err := v.Score(prompt, [][]int{cont})
	if err != nil {
		t.Fatal(err)
	}
	lp, err := tm.CompletionLogProbs([]TrainSeq{{Prompt: prompt, Completion: cont}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(float64(lp.Sums().Data[0]) - sc[0].LogProb); d > 1e-3*math.Abs(sc[0].LogProb) {
		t.Errorf("trained adapter: Score %.5f, training path %.5f", sc[0].LogProb, lp.Sums().Data[0])
	}
}
