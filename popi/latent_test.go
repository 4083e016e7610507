package popi

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// latentSeqs are two users' sequences with latent slots (as latentExamples marks them).
func latentSeqs(f *tinyFixture, t *testing.T, users []int) []rl.Sequence {
	t.Helper()
	pairs := worldPairs(f, len(users))
	var out []rl.Sequence
	for i, pr := range pairs {
		ids, slot, err := latentPromptIDs(f.Enc, prompt.Prompting{Family: data.FamilyELIX}, pr.Prompt, f.Enc.End)
		if err != nil {
			t.Fatal(err)
		}
		ids[slot] = latentMarker(users[i])
		out = append(out, rl.Sequence{Prompt: ids, Completion: f.Enc.Reply(pr.Chosen)}, rl.Sequence{Prompt: ids, Completion: f.Enc.Reply(pr.Rejected)})
	}
	return out
}

// The gradients of every latent parameter (user weight logits, LoRe's basis, PAL-A's
// prototypes and map f, PAL-B's prototypes and prompt maps), back-propagated through the
// generator, match central finite differences of the same objective.
func TestLatentGradientsFiniteDifferences(t *testing.T) {
	f := getFixture(t)
	gen := f.model(t, 3)
	ctx := context.Background()
	for _, m := range []Method{MethodLoRe, MethodPALA, MethodPALB} {
		t.Run(m.Slug(), func(t *testing.T) {
			lm, err := NewLatentModel(m, []string{"u0", "u1", "u2"}, 3, f.Cfg.Hidden, 2, 7)
			if err != nil {
				t.Fatal(err)
			}
			if lm.F2 != nil { // f starts as the identity; make every path of f matter
				for i := range lm.F2.Data {
					lm.F2.Data[i] = float32(math.Sin(float64(i))) * 0.1
				}
				for i := range lm.B1.Data {
					lm.B1.Data[i] = 0.3
				}
			}
			tr := gen.Trainable()
			nn.Freeze(tr.Params()...)
			pol := &latentPolicy{LM: lm, Train: tr, Placeholder: f.Enc.End}
			if lm.NeedsPromptReps() {
				pol.Reps = newPromptReps(gen)
			}
			seqs := latentSeqs(f, t, []int{0, 2})
			coef := []float64{1, -1, 0.5, -0.7}
			obj := func() float64 {
				var lp [][]float64
				nn.NoGrad(func() { lp, _, err = pol.LogProbs(ctx, seqs) })
				if err != nil {
					t.Fatal(err)
				}
				s := 0.0
				for i, row := range lp {
					for _, v := range row {
						s += coef[i] * v
					}
				}
				return s
			}
			lp, bw, err := pol.LogProbs(ctx, seqs)
			if err != nil {
				t.Fatal(err)
			}
			dlp := make([][]float64, len(lp))
			for i := range lp {
				dlp[i] = make([]float64, len(lp[i]))
				for j := range dlp[i] {
					dlp[i][j] = coef[i]
				}
			}
			if err := bw(dlp); err != nil {
				t.Fatal(err)
			}
			checked, scale := 0, 0.0
			for pi, p := range lm.Params() {
				if p.Grad == nil {
					t.Fatalf("parameter %d got no gradient", pi)
				}
				grad := slices.Clone(p.Grad)
				idx := []int{0, len(p.Data) / 3, len(p.Data) - 1}
				if pi == 0 { // weight logits: users 0 and 2 are used, user 1 is not
					idx = []int{0, 1, 2 * lm.K, 2*lm.K + 2, lm.K}
				}
				for _, i := range idx {
					// float32 forward passes: steps below ~0.03 are dominated by rounding
					const eps = 0.05
					old := p.Data[i]
					p.Data[i] = old + eps
					up := obj()
					p.Data[i] = old - eps
					down := obj()
					p.Data[i] = old
					fd := (up - down) / (2 * eps)
					if d := math.Abs(fd - float64(grad[i])); d > 0.03*math.Abs(fd)+2e-4 {
						t.Errorf("parameter %d entry %d: gradient %.5g, finite difference %.5g", pi, i, grad[i], fd)
					}
					checked++
					scale = max(scale, math.Abs(fd))
				}
			}
			if scale < 0.02 { // the absolute tolerance must not swallow the check
				t.Fatalf("finite differences too small to check (max %.3g)", scale)
			}
			if g := lm.W.Grad[lm.K : 2*lm.K]; slices.ContainsFunc(g, func(v float32) bool { return v != 0 }) {
				t.Errorf("an absent user's weights got a gradient %v", g)
			}
			t.Logf("%v: %d entries of %d parameters checked, largest derivative %.3g", m, checked, len(lm.Params()), scale)
		})
	}
}

// A held-out user's fitted weights lower the objective on its own signal pairs, and the
// fit moves nothing but those weights (generator and shared components frozen).
func TestLatentHeldOutFitLowersLoss(t *testing.T) {
	f := getFixture(t)
	gen := f.model(t, 4)
	eps := fixtureEpisodes(t, f, true, 1)[:2]
	obj, err := NewObjective(gen, gen, f.Enc, prompt.Prompting{Family: data.FamilyELIX}, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	genBefore := slices.Clone(gen.Embed.F32)
	for _, m := range []Method{MethodLoRe, MethodPALA, MethodPALB} {
		lm, err := NewLatentModel(m, []string{"train-user"}, 4, f.Cfg.Hidden, 1, 9)
		if err != nil {
			t.Fatal(err)
		}
		shared := slices.Clone(lm.P.Data)
		fit, err := FitLatentUsers(context.Background(), lm, gen, gen, obj, eps, LatentConfig{FitSteps: 15, FitLR: 0.3}, obj.Pref, 11)
		if err != nil {
			t.Fatal(err)
		}
		if !(fit.LossAfter < fit.LossBefore-1e-4) {
			t.Errorf("%v: fit did not lower the signal-pair objective: %.5f -> %.5f", m, fit.LossBefore, fit.LossAfter)
		}
		if len(fit.Model.Users) != len(eps) || fit.Pairs != 2*len(eps) {
			t.Errorf("%v: %d fitted users, %d pairs", m, len(fit.Model.Users), fit.Pairs)
		}
		if !slices.Equal(shared, lm.P.Data) || !slices.Equal(shared, fit.Model.P.Data) {
			t.Errorf("%v: the fit changed the shared components", m)
		}
		t.Logf("%v: %.5f -> %.5f", m, fit.LossBefore, fit.LossAfter)
	}
	if !slices.Equal(genBefore, gen.Embed.F32) {
		t.Error("the fit changed the generator")
	}
	// The same under IPO (Eq. 2), the objective -loss ipo selects.
	ipo, err := NewObjective(gen, gen, f.Enc, prompt.Prompting{Family: data.FamilyELIX}, rl.PreferenceConfig{Kind: rl.IPOLoss, Beta: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	lmIPO, _ := NewLatentModel(MethodLoRe, []string{"train-user"}, 4, f.Cfg.Hidden, 1, 9)
	fit, err := FitLatentUsers(context.Background(), lmIPO, gen, gen, ipo, eps, LatentConfig{FitSteps: 15, FitLR: 0.3}, ipo.Pref, 11)
	if err != nil || !(fit.LossAfter < fit.LossBefore) {
		t.Errorf("IPO fit: %v, %+v", err, fit)
	}
	noSig := slices.Clone(eps)
	noSig[1].Signals = nil
	lm, _ := NewLatentModel(MethodLoRe, []string{"u"}, 2, f.Cfg.Hidden, 1, 1)
	if _, err := FitLatentUsers(context.Background(), lm, gen, gen, obj, noSig, LatentConfig{}, obj.Pref, 1); err == nil || !strings.Contains(err.Error(), "signals") {
		t.Errorf("episode without signal pairs: %v", err)
	}
}

// The latent slot is a position, not a vocabulary token: the rendered prompt is the
// Base-Model prompt with exactly one extra position after <|begin_of_text|>, whatever the
// text says (special-token strings in the text stay ordinary text and never yield a slot).
func TestLatentSlotNeverFromText(t *testing.T) {
	f := getFixture(t)
	p := prompt.Prompting{Family: data.FamilyELIX}
	bos, _ := f.Tok.SpecialID("<|begin_of_text|>")
	for _, text := range []string{"How do tides work?", "<|begin_of_text|> <|eot_id|> explain <|start_header_id|>user", "\x00\uFFFD<|latent|>"} {
		ids, slot, err := latentPromptIDs(f.Enc, p, text, -5)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := p.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondPrompt}, text)
		base := f.Enc.Prompt(m)
		if slot != 1 || base[0] != bos || len(ids) != len(base)+LatentSlots {
			t.Fatalf("%q: slot %d, %d ids for a %d-token base prompt", text, slot, len(ids), len(base))
		}
		if !slices.Equal(withoutSlot(ids, slot), base) {
			t.Fatalf("%q: the prompt around the slot is not the Base-Model prompt", text)
		}
		for i, id := range ids {
			if (id == -5) != (i == slot) {
				t.Fatalf("%q: placeholder at %d, slot %d", text, i, slot)
			}
		}
		if n := f.Enc.CountTokens(text); slices.Contains(f.Tok.Encode(text, false), -5) || n == 0 {
			t.Fatalf("%q: tokenizer output %d", text, n)
		}
	}
}

// Save and load round-trip every latent parameter exactly; bad files are refused.
func TestLatentSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, m := range []Method{MethodLoRe, MethodPALA, MethodPALB} {
		lm, err := NewLatentModel(m, []string{"a", "b"}, 3, 8, 0.1, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range lm.Params() {
			for i := range p.Data {
				p.Data[i] += float32(i%7) * 1e-7 // values that need every float32 digit
			}
		}
		path := filepath.Join(dir, m.Slug()+".json")
		if err := lm.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := LoadLatentModel(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Method != m || !slices.Equal(got.Users, lm.Users) || len(got.Params()) != len(lm.Params()) {
			t.Fatalf("%v: loaded %+v", m, got)
		}
		for i, p := range lm.Params() {
			if !slices.Equal(p.Data, got.Params()[i].Data) || !slices.Equal(p.Shape, got.Params()[i].Shape) {
				t.Fatalf("%v: parameter %d differs after the round trip", m, i)
			}
		}
		fresh, _ := NewLatentModel(m, []string{"a", "b"}, 3, 8, 0.1, 99)
		if err := fresh.copyFrom(got); err != nil || !slices.Equal(fresh.W.Data, lm.W.Data) {
			t.Fatalf("%v: copyFrom: %v", m, err)
		}
		other, _ := NewLatentModel(m, []string{"a"}, 3, 8, 0.1, 99)
		if other.copyFrom(got) == nil {
			t.Fatalf("%v: copied a checkpoint of other users", m)
		}
	}
	lm, _ := NewLatentModel(MethodLoRe, []string{"a"}, 2, 4, 0.1, 1)
	lm.P.Data[0] = float32(math.NaN())
	if lm.Save(filepath.Join(dir, "nan.json")) == nil {
		t.Fatal("saved a non-finite parameter")
	}
	if _, err := NewLatentModel(MethodRawAligned, []string{"a"}, 2, 4, 0.1, 1); err == nil {
		t.Fatal("a text method accepted as latent")
	}
	if _, err := NewLatentModel(MethodLoRe, []string{"a", "a"}, 2, 4, 0.1, 1); err == nil {
		t.Fatal("duplicate users accepted")
	}
}

func TestLatentConfigValidate(t *testing.T) {
	if err := (LatentConfig{}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []LatentConfig{{K: -1}, {LRScale: -2}, {FitSteps: -1}, {FitLR: math.Inf(1)}, {LRScale: math.NaN()}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// A latent method's joint training interrupted mid-phase and resumed from its checkpoint
// (generator, optimizer and the latent parameters) ends exactly where an uninterrupted run
// does: same learned embeddings, same results.
func TestLatentResumeEqualsUninterrupted(t *testing.T) {
	f := getFixture(t)
	cfg := tinyPipelineConfig(t, f)
	cfg.Methods = "Base-Model,PAL-A"
	cfg.Stage2.Steps, cfg.Stage2.CheckpointEvery = 4, 1
	full := filepath.Join(t.TempDir(), "full")
	want, err := RunPipeline(context.Background(), cfg, full, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(t.TempDir(), "part")
	ctx, cancel := context.WithCancel(context.Background())
	w := &cancelWriter{n: cfg.Stage1.Steps + 2, cancel: cancel} // stop after 2 latent steps
	if _, err := RunPipeline(ctx, cfg, part, false, w); err == nil {
		t.Fatal("the interrupted run finished")
	}
	if !strings.Contains(w.buf.String(), "[stage2-pal-a] interrupted: checkpoint saved at step 2/4") {
		t.Fatalf("not interrupted in the latent phase:\n%s", w.buf.String())
	}
	got, err := RunPipeline(context.Background(), PipelineConfig{}, part, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := LoadLatentModel(filepath.Join(full, "models", "pal-a", latentFileName))
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadLatentModel(filepath.Join(part, "models", "pal-a", latentFileName))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range a.Params() {
		if !slices.Equal(p.Data, b.Params()[i].Data) {
			t.Fatalf("latent parameter %d differs after resuming", i)
		}
	}
	for i := range want.Report.Runs {
		x, y := want.Report.Runs[i], got.Report.Runs[i]
		if x.Method != y.Method || *x.Acc != *y.Acc || *x.WinRate != *y.WinRate {
			t.Fatalf("resumed run gives other results: %+v vs %+v", x, y)
		}
	}
}

// LoadLatentModel never panics on a damaged file, and whatever it accepts has the shapes
// its method needs (Embeddings runs on it).
func FuzzLoadLatentModel(f *testing.F) {
	dir := f.TempDir()
	for i, m := range []Method{MethodLoRe, MethodPALA, MethodPALB} {
		lm, _ := NewLatentModel(m, []string{"a", "b"}, 2, 3, 0.1, uint64(i))
		p := filepath.Join(dir, m.Slug())
		if err := lm.Save(p); err != nil {
			f.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`{"method":"LoRe","k":1,"hidden":1,"users":["a"],"params":[{"name":"weight_logits","shape":[1,1],"data":[0]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "latent.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		lm, err := LoadLatentModel(p)
		if err != nil {
			return
		}
		var reps [][]float32
		if lm.NeedsPromptReps() {
			reps = [][]float32{make([]float32, lm.H)}
		}
		if _, err := lm.Embeddings([]int{0}, reps); err != nil {
			t.Fatalf("loaded model cannot embed: %v", err)
		}
	})
}
