package popi

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// BenchmarkStage1Step measures GRPO steps of Stage 1 on the tiny fixture model: sampling,
// rewards through the frozen generator, reference scoring, forward and backward; tokens/s
// counts the sampled summary tokens trained on.
func BenchmarkStage1Step(b *testing.B) {
	f := getFixture(b)
	base := f.model(b, 1)
	eps := fixtureEpisodes(b, f, false, 1)[:4]
	prompts, err := Stage1Prompts(f.Enc, prompt.Prompting{Family: data.FamilyELIX}, eps, 2, false)
	if err != nil {
		b.Fatal(err)
	}
	s := newStage1(b, f, base, Stage1Config{})
	gc := rl.DefaultGRPOConfig()
	gc.GroupSize, gc.Alpha = 4, DefaultAlpha(rl.DPOLoss, 0.1)
	gc.Sample = rl.SampleOptions{Temperature: 1, MaxTokens: 16, StopIDs: []int{f.Enc.End}}
	g := &rl.GRPO{Policy: s.Policy, Ref: s.Ref, Opt: s.Policy.NewAdamW(0), GroupReward: SummaryReward(s.Obj), Config: gc,
		Rand: rand.New(rand.NewPCG(1, 1))}
	tokens := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := g.Step(context.Background(), prompts[:2], 1e-4)
		if err != nil {
			b.Fatal(err)
		}
		tokens += st.Tokens
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkObjectivePairs measures summary-conditioned pair scoring (one shared prefill, two
// continuations) with the cached reference, in pairs/s.
func BenchmarkObjectivePairs(b *testing.B) {
	f := getFixture(b)
	m := f.model(b, 1)
	obj, _ := NewObjective(m, m, f.Enc, prompt.Prompting{Family: data.FamilyELIX}, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	pairs := data.WorldPairs(f.World.Train[0].Pairs[:4])
	z := f.World.Train[0].Persona.Summary()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := obj.SummaryLoss(z, pairs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(pairs))/b.Elapsed().Seconds(), "pairs/s")
}
