package rl

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkGRPOObjective measures the surrogate + KL + gradient on a batch of 64 sequences
// of up to 256 tokens, in tokens/s.
func BenchmarkGRPOObjective(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	p := SurrogateParams{EpsLow: 0.2, EpsHigh: 0.28, Alpha: 0.04}
	lp, old, ref, adv, lengths := randomBatch(rng, 64, 256, p)
	w, err := TokenWeights(lengths, AggGRPO, 256)
	if err != nil {
		b.Fatal(err)
	}
	tokens := 0
	for _, n := range lengths {
		tokens += n
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := GRPOObjective(lp, old, ref, adv, w, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkGRPOStepToy measures a full GRPO step (sampling, rewards, reference, mu = 2
// iterations with Adam) on the tabular toy policy, in completion tokens/s; it is the
// trainer's own overhead, the model cost of a real policy comes on top.
func BenchmarkGRPOStepToy(b *testing.B) {
	pol := newTabular(2, 6, 6)
	cfg := DefaultGRPOConfig()
	cfg.Sample.MaxTokens, cfg.Iterations = 6, 2
	g := &GRPO{Policy: pol, Ref: pol.clone(), Opt: newAdam(pol.theta, pol.grad), Reward: patternReward, Config: cfg,
		Rand: rand.New(rand.NewPCG(1, 2))}
	ctx := context.Background()
	tokens := 0
	for b.Loop() {
		st, err := g.Step(ctx, toyPrompts(), 0.01)
		if err != nil {
			b.Fatal(err)
		}
		tokens += st.Tokens
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}
