package popi

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// expectedReward is the exact expected reward of one-token summaries: Σ_v π(v|prompt) r(v)
// over the whole vocabulary, with r from the frozen generator.
func expectedReward(t *testing.T, s *Stage1, p rl.Prompt, r []float64) float64 {
	t.Helper()
	seqs := make([]rl.Sequence, len(r))
	for v := range seqs {
		seqs[v] = rl.Sequence{Prompt: p.IDs, Completion: []int{v}}
	}
	lp, err := s.Policy.Score(context.Background(), seqs)
	if err != nil {
		t.Fatal(err)
	}
	e, z := 0.0, 0.0
	for v := range r {
		pv := math.Exp(lp[v][0])
		e += pv * r[v]
		z += pv
	}
	if math.Abs(z-1) > 1e-3 {
		t.Fatalf("probabilities sum to %v", z)
	}
	return e
}

// On an easy setup (one-token summaries of one user, a large learning rate) GRPO raises
// the exact expected reward of the inference model's summaries.
func TestStage1RaisesReward(t *testing.T) {
	f := getFixture(t)
	base := f.model(t, 11)
	eps := fixtureEpisodes(t, f, false, 1)[:1]
	cfg := Stage1Config{Steps: 10, BatchSize: 1, GroupSize: 8, LR: 5e-2, Warmup: 0, Alpha: 0, Temperature: 1,
		MaxTokens: 1, RewardPairs: 2, Seed: 1}
	prompts, err := Stage1Prompts(f.Enc, prompt.Prompting{Family: data.FamilyELIX}, eps, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	prompts = prompts[:1]
	// A sharper random generator and β = 1 make the summary matter more to the reward.
	gen := f.model(t, 12)
	for _, v := range gen.Trainable().Params() {
		for i := range v.Data {
			v.Data[i] *= 4
		}
	}
	obj, err := NewObjective(gen, gen, f.Enc, prompt.Prompting{Family: data.FamilyELIX}, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := newStage1(t, f, base, cfg)
	s.Obj = obj
	comps := make([]rl.Completion, f.Cfg.Vocab)
	for v := range comps {
		comps[v] = rl.Completion{IDs: []int{v}, Text: f.Enc.DecodeReply([]int{v})}
	}
	r, err := SummaryReward(obj)(context.Background(), prompts[0], comps)
	if err != nil {
		t.Fatal(err)
	}
	before := expectedReward(t, s, prompts[0], r)
	run, _ := OpenRun(filepath.Join(t.TempDir(), "r"), false, nil)
	defer run.Close()
	if _, err := s.Run(context.Background(), run, prompts, false); err != nil {
		t.Fatal(err)
	}
	after := expectedReward(t, s, prompts[0], r)
	lo, hi := slices.Min(r), slices.Max(r)
	t.Logf("expected reward before %.4f, after %.4f (range %.3f..%.3f)", before, after, lo, hi)
	if !(after > before+0.05*(hi-before)) {
		t.Fatalf("GRPO did not raise the expected reward enough: before %.4f, after %.4f, best %.4f", before, after, hi)
	}
	ckpt, ok := CheckpointDir(run.Path("ckpt", "stage1"))
	if !ok {
		t.Fatal("no checkpoint")
	}
	if _, err := os.Stat(filepath.Join(ckpt, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
}

func TestStage1Errors(t *testing.T) {
	f := getFixture(t)
	good := Stage1Config{Steps: 1, BatchSize: 1, GroupSize: 2, MaxTokens: 4, RewardPairs: 1}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"group", "batch", "none"} {
		c := good
		c.Advantage = a
		if err := c.Validate(); err != nil {
			t.Fatalf("advantage %s: %v", a, err)
		}
	}
	for name, mut := range map[string]func(c *Stage1Config){
		"steps": func(c *Stage1Config) { c.Steps = 0 }, "group": func(c *Stage1Config) { c.GroupSize = 1 },
		"tokens": func(c *Stage1Config) { c.MaxTokens = 0 }, "pairs": func(c *Stage1Config) { c.RewardPairs = 0 },
		"warmup": func(c *Stage1Config) { c.Warmup = -1 }, "lr": func(c *Stage1Config) { c.LR = -1 },
		"advantage": func(c *Stage1Config) { c.Advantage = "sum" }, "eval": func(c *Stage1Config) { c.EvalEvery = -1 },
	} {
		c := good
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	eps := fixtureEpisodes(t, f, false, 1)[:1]
	if _, err := Stage1Prompts(f.Enc, prompt.Prompting{Family: data.FamilyELIX}, eps, 99, false); err == nil {
		t.Fatal("episodes with too few targets made prompts")
	}
	pd, err := Stage1Prompts(f.Enc, prompt.Prompting{Family: data.FamilyELIX}, eps, 1, true)
	if err != nil || len(pd) != len(eps[0].Targets) {
		t.Fatalf("prompt-dependent prompts: %d, %v", len(pd), err)
	}
	rw := SummaryReward(newStage1(t, f, f.model(t, 1), good).Obj)
	if _, err := rw(context.Background(), rl.Prompt{IDs: []int{1}}, []rl.Completion{{}}); err == nil {
		t.Fatal("prompt without pairs rewarded")
	}
}
