package popi

import (
	"math"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

func worldPairs(f *tinyFixture, n int) []data.PrefPair {
	return data.WorldPairs(f.World.Train[0].Pairs[:n])
}

// The objective equals Eq. 1 / Eq. 2 computed by hand from independently scored
// log-probs: generator with the summary, reference with the prompt only.
func TestObjectiveMatchesHandComputation(t *testing.T) {
	f := getFixture(t)
	gen, ref := f.model(t, 1), f.model(t, 2)
	p := prompt.Prompting{Family: data.FamilyELIX}
	pairs := worldPairs(f, 3)
	summary := f.World.Train[0].Persona.Summary()
	for _, pc := range []rl.PreferenceConfig{{Kind: rl.DPOLoss, Beta: 0.1}, {Kind: rl.IPOLoss, Beta: 0.05}, {Kind: rl.DPOLoss, Beta: 0.01}} {
		obj, err := NewObjective(gen, ref, f.Enc, p, pc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := obj.SummaryLoss(summary, pairs)
		if err != nil {
			t.Fatal(err)
		}
		want := 0.0
		for _, pr := range pairs {
			gm, _ := prompt.GeneratorMessages(prompt.TemplatesPaper, data.FamilyELIX, data.SignalsRaw, prompt.CondSummary, pr.Prompt, "", summary)
			rm, _ := prompt.GeneratorMessages(prompt.TemplatesPaper, data.FamilyELIX, data.SignalsRaw, prompt.CondPrompt, pr.Prompt, "", "")
			g, err := gen.Score(f.Enc.Prompt(gm), [][]int{f.Enc.Reply(pr.Chosen), f.Enc.Reply(pr.Rejected)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := ref.Score(f.Enc.Prompt(rm), [][]int{f.Enc.Reply(pr.Chosen), f.Enc.Reply(pr.Rejected)})
			if err != nil {
				t.Fatal(err)
			}
			h := (g[0].LogProb - r[0].LogProb) - (g[1].LogProb - r[1].LogProb)
			if pc.Kind == rl.DPOLoss {
				want += math.Log1p(math.Exp(-pc.Beta * h)) // -log σ(βh)
			} else {
				d := h - 1/(2*pc.Beta)
				want += d * d
			}
		}
		want /= float64(len(pairs))
		if math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
			t.Fatalf("%v β=%v: objective %v, hand computation %v", pc.Kind, pc.Beta, got, want)
		}
	}
}

// Hand-computed values of the loss on fixed log-probs, and of the empty-summary loss.
func TestObjectiveHandNumbers(t *testing.T) {
	f := getFixture(t)
	m := f.model(t, 1)
	dpo, _ := NewObjective(m, m, f.Enc, prompt.Prompting{}, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	ipo, _ := NewObjective(m, m, f.Enc, prompt.Prompting{}, rl.PreferenceConfig{Kind: rl.IPOLoss, Beta: 0.1})
	if l, _ := dpo.NoInformationLoss(); math.Abs(l-math.Ln2) > 1e-12 {
		t.Fatalf("DPO loss at h=0: %v, want ln 2", l)
	}
	if l, _ := ipo.NoInformationLoss(); math.Abs(l-25) > 1e-12 {
		t.Fatalf("IPO loss at h=0 with β=0.1: %v, want (1/0.2)² = 25", l)
	}
	if l, _ := dpo.SummaryLoss("   ", worldPairs(f, 1)); math.Abs(l-math.Ln2) > 1e-12 {
		t.Fatalf("blank summary loss %v, want ln 2", l)
	}
	// h = (-10 - -11) - (-12 - -11) = 2: DPO -log σ(0.2) = 0.598138869..., IPO (2-5)² = 9.
	lp := rl.PairLogProbs{Chosen: -10, Rejected: -12, RefChosen: -11, RefRejected: -11}
	if r, _ := rl.PreferenceLoss(dpo.Pref, lp); math.Abs(r.Loss-0.5981388693815918) > 1e-12 {
		t.Fatalf("DPO %v", r.Loss)
	}
	if r, _ := rl.PreferenceLoss(ipo.Pref, lp); math.Abs(r.Loss-9) > 1e-12 {
		t.Fatalf("IPO %v", r.Loss)
	}
	if a := DefaultAlpha(rl.DPOLoss, 0.05); math.Abs(a-0.0001) > 1e-15 {
		t.Fatalf("alpha DPO %v", a)
	}
	if a := DefaultAlpha(rl.IPOLoss, 0.1); math.Abs(a-0.04) > 1e-15 {
		t.Fatalf("alpha IPO %v", a)
	}
	// With the generator equal to the reference and the Base-Model condition, h = 0 exactly.
	l, err := dpo.Loss(prompt.Conditioning{Cond: prompt.CondPrompt}, worldPairs(f, 2))
	if err != nil || math.Abs(l-math.Ln2) > 1e-12 {
		t.Fatalf("base condition loss %v (%v), want ln 2", l, err)
	}
}

// The reference term is scored once per distinct pair, however often it is used.
func TestObjectiveReferenceCached(t *testing.T) {
	f := getFixture(t)
	obj, _ := NewObjective(f.model(t, 1), f.model(t, 2), f.Enc, prompt.Prompting{}, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	pairs := worldPairs(f, 4)
	for _, s := range []string{"a child", "an expert who likes short answers", "negative tone"} {
		if _, err := obj.SummaryLoss(s, pairs); err != nil {
			t.Fatal(err)
		}
		if _, err := obj.SummaryLoss(s, pairs[:2]); err != nil {
			t.Fatal(err)
		}
	}
	if n := obj.RefScorings(); n != 4 {
		t.Fatalf("reference scored %d times for 4 distinct pairs", n)
	}
	if _, err := obj.SummaryLoss("x", []data.PrefPair{{Prompt: "p", Chosen: "", Rejected: "r"}}); err == nil {
		t.Fatal("empty response accepted")
	}
	if _, err := obj.SummaryLoss("x", nil); err == nil {
		t.Fatal("no pairs accepted")
	}
	if _, err := NewObjective(nil, nil, f.Enc, prompt.Prompting{}, rl.PreferenceConfig{Beta: 0.1}); err == nil {
		t.Fatal("nil models accepted")
	}
	if _, err := NewObjective(obj.Gen, obj.Ref, f.Enc, prompt.Prompting{}, rl.PreferenceConfig{Beta: 0}); err == nil {
		t.Fatal("beta 0 accepted")
	}
}
