package popi

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// Stage 2 lowers the summary-augmented DPO loss of the generator on its training pairs, and
// the reference log-probs come from the objective's cache (one scoring per pair).
func TestStage2LowersLoss(t *testing.T) {
	f := getFixture(t)
	base := f.model(t, 21)
	eps := fixtureEpisodes(t, f, false, 1)[:3]
	obj, err := NewObjective(base, base, f.Enc, prompt.Prompting{Family: data.FamilyELIX}, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	after := &Summaries{PerEpisode: []string{"child, positive, short", "expert and negative", ""}, Tokens: []int{1, 1, 0}}
	cond := Conditioner(MethodPOPIFull, eps, nil, after)
	exs, err := Stage2Examples(obj, eps, cond)
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 12 || obj.RefScorings() != 12 {
		t.Fatalf("%d examples, %d reference scorings", len(exs), obj.RefScorings())
	}
	// The same pairs for another method reuse the cached reference.
	if _, err := Stage2Examples(obj, eps, Conditioner(MethodRawAligned, eps, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if obj.RefScorings() != 12 {
		t.Fatalf("reference re-scored: %d", obj.RefScorings())
	}
	lossOn := func(p *LMPolicy) float64 {
		o, _ := NewObjective(p.Model, base, f.Enc, prompt.Prompting{Family: data.FamilyELIX}, obj.Pref)
		sum := 0.0
		for i := range eps {
			c, _ := cond(i, 0)
			l, err := o.Loss(c, eps[i].Targets)
			if err != nil {
				t.Fatal(err)
			}
			sum += l
		}
		return sum / float64(len(eps))
	}
	theta, _ := NewLMPolicy(CloneModel(base), f.Enc)
	l0 := lossOn(theta)
	if math.IsNaN(l0) || l0 <= 0 {
		t.Fatalf("loss of the untrained generator %v", l0)
	}
	s2 := &Stage2{Config: Stage2Config{Steps: 8, BatchSize: 4, LR: 1e-2, MicroBatch: 2, Seed: 1}, Pref: obj.Pref, Policy: theta, Tok: f.Tok}
	run, _ := OpenRun(filepath.Join(t.TempDir(), "r"), false, nil)
	defer run.Close()
	st, err := s2.Run(context.Background(), run, "stage2-test", exs, false)
	if err != nil || !st.Done || len(st.History) != 8 {
		t.Fatalf("%v %+v", err, st)
	}
	l1 := lossOn(theta)
	t.Logf("loss before %.4f after %.4f", l0, l1)
	if !(l1 < l0-0.05) {
		t.Fatalf("Stage 2 did not lower the loss: %.4f -> %.4f", l0, l1)
	}
}
