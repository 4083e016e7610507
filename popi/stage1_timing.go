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
	policyTokens                       int64    // prompt + completion tokens of the sequences trained on
	policyRows                         passRows // rows those passes ran (shared prompts once)
	release                            bool     // return dead memory to the OS after sampling and rewards
	sampled                            int64    // summary tokens generated
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
	if p.t.release {
		releaseMemory()
	}
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
	if err == nil {
		p.t.policyRows.add(p.LMPolicy.lastPass)
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
		r, err := f(ctx, p, cs)
		if t.release {
			releaseMemory()
		}
		return r, err
	}
}

// passRows counts the token rows of training passes: rows through the decoder blocks,
// rows through the output head, and block rows whose forward ran again in backward
// (activation checkpointing).
type passRows struct {
	blocks, head int64
	recomputed   bool // set on a single pass: its block rows were recomputed
	recompRows   int64
}

func (r *passRows) add(p passRows) {
	r.blocks += p.blocks
	r.head += p.head
	if p.recomputed {
		r.recompRows += p.blocks
	}
}

// blockParams is the number of weights a token meets in the decoder blocks' matrix
// products (the seven projections of every layer); headParams those of the output head. A
// forward pass costs 2 flops a weight and row, plus attention.
func blockParams(m *llama.Model) int64 {
	var n int64
	for i := range m.Layers {
		l := &m.Layers[i]
		for _, w := range []*llama.Matrix{&l.Q, &l.K, &l.V, &l.O, &l.Gate, &l.Up, &l.Down} {
			n += int64(w.Rows) * int64(w.Cols)
		}
	}
	return n
}

func headParams(m *llama.Model) int64 {
	if m.LMHead == nil {
		return 0
	}
	return int64(m.LMHead.Rows) * int64(m.LMHead.Cols)
}

// matmulParams is blockParams + headParams: the weights of a token that goes through the
// whole model, output head included.
func matmulParams(m *llama.Model) int64 { return blockParams(m) + headParams(m) }

// metrics writes the step's phase times (seconds) and throughputs into out and resets t.
// Policy GFLOP/s counts the model flops of the rows the passes ran (a prompt shared by a
// group once): forward (2 per weight and row) and backward (2 for dx, 2 more for dW when
// the base itself trains), the output head on the completion rows only; adapters and
// attention are not counted. policy_hw_gflops adds the forward that activation
// checkpointing runs again in backward (the flops the hardware executed). Reward scoring's
// time covers the generator's summary-conditioned scoring (genTokens) and the reference
// scoring of pairs not yet cached (refTokens); its tokens/s and GFLOP/s count both, the
// flops as the decoder blocks' forward (2 per weight and token; the output head on the
// reply rows and attention are not counted).
func (t *stageTimes) metrics(out map[string]float64, policy, gen *llama.Model, genTokens, refTokens int64) {
	out["time_sample"] = t.sample.Seconds()
	out["time_reward"] = t.reward.Seconds()
	out["time_score"] = t.score.Seconds()
	out["time_policy"] = t.policy.Seconds()
	out["time_opt"] = t.opt.Seconds()
	out["tokens_policy"] = float64(t.policyTokens)
	out["tokens_reward"] = float64(genTokens)
	out["tokens_reward_ref"] = float64(refTokens)
	if s := t.sample.Seconds(); s > 0 {
		out["sample_tokens_per_s"] = float64(t.sampled) / s
	}
	perRow := 4.0 // forward + dx
	if policy.Adapter() == nil && !policy.IsView() {
		perRow = 6 // + dW of the base matrices
	}
	r := t.policyRows
	model := perRow * (float64(blockParams(policy))*float64(r.blocks) + float64(headParams(policy))*float64(r.head))
	hw := model + 2*float64(blockParams(policy))*float64(r.recompRows)
	out["rows_policy"] = float64(r.blocks)
	out["flops_policy"], out["flops_policy_hw"] = model, hw
	if s := t.policy.Seconds(); s > 0 {
		out["policy_gflops"] = model / s / 1e9
		out["policy_hw_gflops"] = hw / s / 1e9
		out["policy_tokens_per_s"] = float64(t.policyTokens) / s
	}
	scored := float64(genTokens + refTokens)
	out["flops_reward"] = 2 * float64(blockParams(gen)) * scored
	if s := t.reward.Seconds(); s > 0 && scored > 0 {
		out["reward_gflops"] = out["flops_reward"] / s / 1e9
		out["reward_tokens_per_s"] = scored / s
	}
	*t = stageTimes{release: t.release}
}
