package popi

import (
	"math"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// SummaryLosses (every summary and pair in shared passes) equals SummaryLoss pair by pair
// bit for bit, blank summaries and a repeated pair included, with the generator and the
// reference one model or two, and counts the same generator tokens and reference scorings.
func TestSummaryLossesEqualPairByPair(t *testing.T) {
	f := getFixture(t)
	m1, m2 := f.model(t, 1), f.model(t, 2)
	p := prompt.Prompting{Family: data.FamilyELIX}
	pairs := append(worldPairs(f, 4), worldPairs(f, 1)...)
	summaries := []string{f.World.Train[0].Persona.Summary(), " ", f.World.Train[1].Persona.Summary(), "short"}
	long := 0 // items ScoreMany batches: prompt and continuation rows above 64
	for _, pr := range pairs {
		gm, _ := p.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondSummary, Summary: summaries[0]}, pr.Prompt)
		if len(f.Enc.Prompt(gm)) > 64 && len(f.Enc.Reply(pr.Chosen))+len(f.Enc.Reply(pr.Rejected))-2 > 64 {
			long++
		}
	}
	if long == 0 {
		t.Fatal("no pair makes an item ScoreMany batches: the test does not cover the batched passes")
	}
	for _, tc := range []struct {
		name     string
		gen, ref *llama.Model
	}{{"one model", m1, m1}, {"two models", m1, m2}} {
		gen, ref := tc.gen, tc.ref
		pc := rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1}
		batched, err := NewObjective(gen, ref, f.Enc, p, pc)
		if err != nil {
			t.Fatal(err)
		}
		single, _ := NewObjective(gen, ref, f.Enc, p, pc)
		got, err := batched.SummaryLosses(summaries, pairs)
		if err != nil {
			t.Fatal(err)
		}
		for i, z := range summaries {
			for j, pr := range pairs {
				want, err := single.SummaryLoss(z, []data.PrefPair{pr})
				if err != nil {
					t.Fatal(err)
				}
				if math.Float64bits(got[i][j]) != math.Float64bits(want) {
					t.Fatalf("%s: summary %d pair %d: %v batched, %v pair by pair", tc.name, i, j, got[i][j], want)
				}
			}
		}
		if g, w := batched.GeneratorTokens(), single.GeneratorTokens(); g != w {
			t.Errorf("%s: %d generator tokens batched, %d pair by pair", tc.name, g, w)
		}
		if g, w := batched.RefScorings(), single.RefScorings(); g != w || g != 4 {
			t.Errorf("%s: %d reference scorings batched, %d pair by pair (want 4)", tc.name, g, w)
		}
		// A second call uses the cached references and gives the same losses.
		again, err := batched.SummaryLosses(summaries[:1], pairs)
		if err != nil || batched.RefScorings() != 4 {
			t.Fatalf("%s: second call: %v, %d reference scorings", tc.name, err, batched.RefScorings())
		}
		for j := range pairs {
			if math.Float64bits(again[0][j]) != math.Float64bits(got[0][j]) {
				t.Fatalf("%s: pair %d: %v on the second call, %v on the first", tc.name, j, again[0][j], got[0][j])
			}
		}
	}
	obj, _ := NewObjective(m1, m1, f.Enc, p, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	if _, err := obj.SummaryLosses(summaries, []data.PrefPair{{Prompt: "q", Chosen: " ", Rejected: "r"}}); err == nil {
		t.Error("a pair with a blank response gave no error")
	}
}
