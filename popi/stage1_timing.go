package popi

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/rl"
)

// Per-phase wall time of a Stage-1 step, for the metrics log and BenchmarkStage1Step:
// summary generation (sampling πφ), reward scoring (the frozen generator on every summary
// and target pair), reference and entropy scoring, the policy's forward and backward
// passes, and the optimizer step. The GRPO trainer sees the policy, the reference and the
// optimizer through thin wrappers that add their time to a stageTimes; the reward function
// is timed where it is built.

// stageTimes accumulates one step's phase times and token counts.
type stageTimes struct {
	sample, reward, score, policy, opt time.Duration
	policyTokens                       int64 // prompt + completion tokens through forward and backward
	sampled                            int64 // summary tokens generated
}

// since adds the time since t0 to d.
func since(d *time.Duration, t0 time.Time) { *d += time.Since(t0) }

// timedPolicy is an LMPolicy whose sampling, scoring and training passes are timed (its
// Entropies, promoted from LMPolicy, count as scoring through timedScorer when used as the
// reference; as the policy they are timed by GRPO's caller below).
type timedPolicy struct {
	*LMPolicy
	t *stageTimes
}

func (p timedPolicy) Sample(ctx context.Context, pr rl.Prompt, n int, o rl.SampleOptions, rng *rand.Rand) ([]rl.Completion, error) {
	defer since(&p.t.sample, time.Now())
	cs, err := p.LMPolicy.Sample(ctx, pr, n, o, rng)
	for _, c := range cs {
		p.t.sampled += int64(len(c.IDs))
	}
	return cs, err
}

func (p timedPolicy) Score(ctx context.Context, batch []rl.Sequence) ([][]float64, error) {
	defer since(&p.t.score, time.Now())
	return p.LMPolicy.Score(ctx, batch)
}

func (p timedPolicy) Entropies(ctx context.Context, batch []rl.Sequence) ([][]float64, error) {
	defer since(&p.t.score, time.Now())
	return p.LMPolicy.Entropies(ctx, batch)
}

func (p timedPolicy) LogProbs(ctx context.Context, batch []rl.Sequence) ([][]float64, rl.Backward, error) {
	t0 := time.Now()
	lp, bw, err := p.LMPolicy.LogProbs(ctx, batch)
	since(&p.t.policy, t0)
	for _, s := range batch {
		p.t.policyTokens += int64(len(s.Prompt) + len(s.Completion))
	}
	if bw == nil {
		return lp, bw, err
	}
	return lp, func(g [][]float64) error {
		defer since(&p.t.policy, time.Now())
		return bw(g)
	}, err
}

// timedOpt times an optimizer's steps.
type timedOpt struct {
	rl.Optimizer
	t *stageTimes
}

func (o timedOpt) Step(lr float64) error {
	defer since(&o.t.opt, time.Now())
	return o.Optimizer.Step(lr)
}

// timedReward times a group reward function.
func timedReward(f rl.GroupRewardFunc, t *stageTimes) rl.GroupRewardFunc {
	return func(ctx context.Context, p rl.Prompt, cs []rl.Completion) ([]float64, error) {
		defer since(&t.reward, time.Now())
		return f(ctx, p, cs)
	}
}

// matmulParams is the number of weights a token meets in the model's matrix products: the
// seven projections of every layer and the output head (about the parameter count without
// the embedding lookup and the norms). A forward pass costs 2·matmulParams flops a token,
// plus attention.
func matmulParams(m *llama.Model) int64 {
	var n int64
	for i := range m.Layers {
		l := &m.Layers[i]
		for _, w := range []*llama.Matrix{&l.Q, &l.K, &l.V, &l.O, &l.Gate, &l.Up, &l.Down} {
			n += int64(w.Rows) * int64(w.Cols)
		}
	}
	if m.LMHead != nil {
		n += int64(m.LMHead.Rows) * int64(m.LMHead.Cols)
	}
	return n
}

// metrics writes the step's phase times (seconds) and throughputs into out and resets t.
// Policy GFLOP/s counts the model flops of forward (2 per weight and token) and backward
// (2 for dx, 2 more for dW when the base itself trains; adapters and attention are not
// counted, nor a checkpointed block's recomputed forward); reward GFLOP/s counts the
// generator's forward flops of the tokens it scored (genTokens).
func (t *stageTimes) metrics(out map[string]float64, policy, gen *llama.Model, genTokens int64) {
	out["time_sample"] = t.sample.Seconds()
	out["time_reward"] = t.reward.Seconds()
	out["time_score"] = t.score.Seconds()
	out["time_policy"] = t.policy.Seconds()
	out["time_opt"] = t.opt.Seconds()
	out["tokens_policy"] = float64(t.policyTokens)
	out["tokens_reward"] = float64(genTokens)
	if s := t.sample.Seconds(); s > 0 {
		out["sample_tokens_per_s"] = float64(t.sampled) / s
	}
	perTok := 4.0 // forward + dx
	if policy.Adapter() == nil && !policy.IsView() {
		perTok = 6 // + dW of the base matrices
	}
	if s := t.policy.Seconds(); s > 0 {
		out["policy_gflops"] = perTok * float64(matmulParams(policy)) * float64(t.policyTokens) / s / 1e9
		out["policy_tokens_per_s"] = float64(t.policyTokens) / s
	}
	if s := t.reward.Seconds(); s > 0 && genTokens > 0 {
		out["reward_gflops"] = 2 * float64(matmulParams(gen)) * float64(genTokens) / s / 1e9
		out["reward_tokens_per_s"] = float64(genTokens) / s
	}
	*t = stageTimes{}
}
