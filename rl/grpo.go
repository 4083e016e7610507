package rl

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
)

// GRPOConfig configures a GRPO step.
type GRPOConfig struct {
	// GroupSize G: completions sampled per prompt (>= 2).
	GroupSize int
	// Sample controls generation; Sample.MaxTokens is also the dr_grpo normaliser.
	Sample SampleOptions
	// EpsLow (> 0, < 1) and EpsHigh bound the probability ratio to [1-EpsLow, 1+EpsHigh];
	// EpsHigh 0 means EpsHigh = EpsLow.
	EpsLow, EpsHigh float64
	// Iterations mu (>= 1): optimizer steps taken on each generated batch, all against the
	// log-probs of the policy that sampled it.
	Iterations int
	// Alpha is the k3 KL penalty coefficient; > 0 requires GRPO.Ref.
	Alpha float64
	// Scale and AdvEps define the advantages (r - mean) / (std + AdvEps).
	Scale  AdvantageScale
	AdvEps float64
	// Aggregation of per-token losses.
	Aggregation Aggregation
	// MicroBatch is the number of sequences per LogProbs / Score call (0: all at once).
	// Gradients are accumulated over micro-batches, giving the same step as one big batch.
	MicroBatch int
}

// DefaultGRPOConfig returns G = 8, clip 0.2, mu = 1, alpha = 0.04, group scaling with
// eps 1e-4, grpo aggregation, temperature 1, top-p 1 and 128 completion tokens.
func DefaultGRPOConfig() GRPOConfig {
	return GRPOConfig{
		GroupSize:   8,
		Sample:      SampleOptions{Temperature: 1, TopP: 1, MaxTokens: 128},
		EpsLow:      0.2,
		Iterations:  1,
		Alpha:       0.04,
		Scale:       ScaleGroup,
		AdvEps:      1e-4,
		Aggregation: AggGRPO,
	}
}

func (c GRPOConfig) surrogate() SurrogateParams {
	hi := c.EpsHigh
	if hi == 0 {
		hi = c.EpsLow
	}
	return SurrogateParams{EpsLow: c.EpsLow, EpsHigh: hi, Alpha: c.Alpha}
}

// Validate reports a configuration error.
func (c GRPOConfig) Validate() error {
	if c.GroupSize < 2 {
		return fmt.Errorf("rl: GRPO group size must be >= 2, got %d", c.GroupSize)
	}
	if c.Iterations < 1 {
		return fmt.Errorf("rl: GRPO iterations (mu) must be >= 1, got %d", c.Iterations)
	}
	if c.MicroBatch < 0 {
		return fmt.Errorf("rl: negative micro-batch %d", c.MicroBatch)
	}
	if c.Sample.MaxTokens <= 0 {
		return fmt.Errorf("rl: GRPO needs Sample.MaxTokens > 0, got %d", c.Sample.MaxTokens)
	}
	if c.Sample.Temperature < 0 || !finite(c.Sample.Temperature) || c.Sample.TopP < 0 || c.Sample.TopP > 1 || c.Sample.TopK < 0 {
		return fmt.Errorf("rl: bad sampling options %+v", c.Sample)
	}
	if c.EpsHigh < 0 {
		return fmt.Errorf("rl: EpsHigh must be >= 0, got %v", c.EpsHigh)
	}
	if _, _, err := Advantages([][]float64{{0, 0}}, c.Scale, c.AdvEps); err != nil {
		return err
	}
	if _, err := TokenWeights([]int{1}, c.Aggregation, c.Sample.MaxTokens); err != nil {
		return err
	}
	return c.surrogate().Validate()
}

// GroupRewardFunc scores all completions of one prompt at once (for rewards that batch
// well, such as a model forward pass per completion); it returns one reward per completion.
type GroupRewardFunc func(ctx context.Context, p Prompt, cs []Completion) ([]float64, error)

// GRPO runs Group Relative Policy Optimisation steps. Policy, Opt, Rand and exactly one of
// Reward and GroupReward are required; Ref (the frozen reference policy) is required when Config.Alpha > 0 and, when
// set with Alpha = 0, still feeds the KL statistic.
type GRPO struct {
	Policy      Policy
	Ref         Scorer
	Opt         Optimizer
	Reward      RewardFunc
	GroupReward GroupRewardFunc
	Config      GRPOConfig
	// Rand drives sampling; a fixed seed makes a run reproducible bit for bit (given a
	// deterministic policy and reward).
	Rand *rand.Rand
}

// GRPOStats are one step's statistics. Loss, KL and clip fractions are means over the mu
// iterations. Entropy is the sampling policy's entropy per completion token: computed
// from its logits, -Σ_v p_v log p_v at each position (as TRL's "entropy"), when the
// policy implements [EntropyScorer] (EntropyFromLogits), otherwise estimated as the mean
// -log p of the sampled tokens.
type GRPOStats struct {
	RewardMean, RewardStd float64
	AdvantageStd          float64
	ZeroVarianceGroups    int
	Groups                int
	CompletionLenMean     float64
	CompletionLenMax      int
	FinishedFrac          float64 // completions that ended on a stop token
	Loss                  float64
	KLMean                float64 // mean per-token k3 KL to the reference (HasKL)
	HasKL                 bool
	ClipFrac              float64 // tokens whose gradient the clip removed
	ClipLowFrac           float64
	ClipHighFrac          float64
	Entropy               float64
	EntropyFromLogits     bool
	Tokens                int
	Sequences             int
}

// FracRewardZeroStd is the fraction of groups whose rewards are all equal (TRL's
// frac_reward_zero_std): those groups get zero advantage and teach nothing.
func (s GRPOStats) FracRewardZeroStd() float64 {
	if s.Groups == 0 {
		return 0
	}
	return float64(s.ZeroVarianceGroups) / float64(s.Groups)
}

// Map returns the statistics keyed by TRL-style names (kl only when HasKL).
func (s GRPOStats) Map() map[string]float64 {
	m := map[string]float64{
		"reward":                  s.RewardMean,
		"reward_std":              s.RewardStd,
		"advantage_std":           s.AdvantageStd,
		"frac_reward_zero_std":    s.FracRewardZeroStd(),
		"completions/mean_length": s.CompletionLenMean,
		"completions/max_length":  float64(s.CompletionLenMax),
		"completions/finished":    s.FinishedFrac,
		"loss":                    s.Loss,
		"clip_ratio/region_mean":  s.ClipFrac,
		"clip_ratio/low_mean":     s.ClipLowFrac,
		"clip_ratio/high_mean":    s.ClipHighFrac,
		"entropy":                 s.Entropy,
		"tokens":                  float64(s.Tokens),
		"sequences":               float64(s.Sequences),
	}
	if s.HasKL {
		m["kl"] = s.KLMean
	}
	return m
}

// Rollout is a generated batch: for each prompt its group of completions, rewards and
// advantages.
type Rollout struct {
	Prompts     []Prompt
	Completions [][]Completion
	Rewards     [][]float64
	Advantages  [][]float64
	Stats       AdvantageStats
}

// Generate samples GroupSize completions per prompt and scores them (the first half of a
// step, exposed for inspection and for callers that need the rollout itself).
func (g *GRPO) Generate(ctx context.Context, prompts []Prompt) (*Rollout, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	if len(prompts) == 0 {
		return nil, errors.New("rl: GRPO step on an empty batch")
	}
	c := g.Config
	ro := &Rollout{Prompts: prompts, Completions: make([][]Completion, len(prompts)), Rewards: make([][]float64, len(prompts))}
	for i, p := range prompts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		comps, err := g.Policy.Sample(ctx, p, c.GroupSize, c.Sample, g.Rand)
		if err != nil {
			return nil, fmt.Errorf("rl: sampling prompt %d: %w", i, err)
		}
		if len(comps) != c.GroupSize {
			return nil, fmt.Errorf("rl: policy returned %d completions for prompt %d, want %d", len(comps), i, c.GroupSize)
		}
		for j, cm := range comps {
			if len(cm.IDs) > c.Sample.MaxTokens {
				return nil, fmt.Errorf("rl: completion %d of prompt %d has %d tokens, limit %d", j, i, len(cm.IDs), c.Sample.MaxTokens)
			}
		}
		rs, err := g.rewards(ctx, p, comps)
		if err != nil {
			return nil, fmt.Errorf("rl: prompt %d: %w", i, err)
		}
		ro.Completions[i], ro.Rewards[i] = comps, rs
	}
	adv, st, err := Advantages(ro.Rewards, c.Scale, c.AdvEps)
	if err != nil {
		return nil, err
	}
	ro.Advantages, ro.Stats = adv, st
	return ro, nil
}

func (g *GRPO) rewards(ctx context.Context, p Prompt, comps []Completion) ([]float64, error) {
	var rs []float64
	if g.GroupReward != nil {
		var err error
		if rs, err = g.GroupReward(ctx, p, comps); err != nil {
			return nil, fmt.Errorf("rl: group reward: %w", err)
		}
		if len(rs) != len(comps) {
			return nil, fmt.Errorf("rl: group reward returned %d rewards for %d completions", len(rs), len(comps))
		}
	} else {
		rs = make([]float64, len(comps))
		for j, cm := range comps {
			r, err := g.Reward(ctx, p, cm)
			if err != nil {
				return nil, fmt.Errorf("rl: reward of completion %d: %w", j, err)
			}
			rs[j] = r
		}
	}
	for j, r := range rs {
		if !finite(r) {
			return nil, fmt.Errorf("rl: reward of completion %d is %v", j, r)
		}
	}
	return rs, nil
}

func (g *GRPO) check() error {
	if g.Policy == nil || g.Opt == nil || g.Rand == nil {
		return errors.New("rl: GRPO needs Policy, Opt and Rand")
	}
	if (g.Reward == nil) == (g.GroupReward == nil) {
		return errors.New("rl: GRPO needs exactly one of Reward and GroupReward")
	}
	if err := g.Config.Validate(); err != nil {
		return err
	}
	if g.Config.Alpha > 0 && g.Ref == nil {
		return errors.New("rl: GRPO Alpha > 0 needs a reference policy (Ref)")
	}
	return nil
}

// Step generates a rollout for prompts and optimises on it (see Optimize).
func (g *GRPO) Step(ctx context.Context, prompts []Prompt, lr float64) (GRPOStats, error) {
	ro, err := g.Generate(ctx, prompts)
	if err != nil {
		return GRPOStats{}, err
	}
	return g.Optimize(ctx, ro, lr)
}

// LoopStep adapts Step to Loop.Step.
func (g *GRPO) LoopStep(ctx context.Context, prompts []Prompt, lr float64) (map[string]float64, error) {
	st, err := g.Step(ctx, prompts, lr)
	if err != nil {
		return nil, err
	}
	return st.Map(), nil
}

// Optimize computes the reference log-probs of the rollout once, then runs mu iterations,
// each: zero gradients, per micro-batch LogProbs -> GRPOObjective -> Backward, one
// optimizer step with learning rate lr. The old log-probs are those of the first iteration
// (taken before any update, so the ratio is 1 there).
func (g *GRPO) Optimize(ctx context.Context, ro *Rollout, lr float64) (GRPOStats, error) {
	var st GRPOStats
	if err := g.check(); err != nil {
		return st, err
	}
	if !finite(lr) || lr < 0 {
		return st, fmt.Errorf("rl: bad learning rate %v", lr)
	}
	c := g.Config
	var seqs []Sequence
	var adv []float64
	var lengths []int
	finished := 0
	for i, p := range ro.Prompts {
		for j, cm := range ro.Completions[i] {
			seqs = append(seqs, Sequence{Prompt: p.IDs, Completion: cm.IDs})
			adv = append(adv, ro.Advantages[i][j])
			lengths = append(lengths, len(cm.IDs))
			if cm.Finished {
				finished++
			}
			st.CompletionLenMax = max(st.CompletionLenMax, len(cm.IDs))
		}
	}
	n := len(seqs)
	st.Sequences = n
	st.Groups = len(ro.Prompts)
	st.RewardMean, st.RewardStd = ro.Stats.RewardMean, ro.Stats.RewardStd
	st.AdvantageStd, st.ZeroVarianceGroups = ro.Stats.AdvantageStd, ro.Stats.ZeroVarianceGroups
	st.FinishedFrac = float64(finished) / float64(n)
	weights, err := TokenWeights(lengths, c.Aggregation, c.Sample.MaxTokens)
	if err != nil {
		return st, err
	}
	mb := c.MicroBatch
	if mb == 0 || mb > n {
		mb = n
	}
	var ref [][]float64
	if g.Ref != nil {
		ref = make([][]float64, 0, n)
		for s := 0; s < n; s += mb {
			e := min(s+mb, n)
			r, err := g.Ref.Score(ctx, seqs[s:e])
			if err != nil {
				return st, fmt.Errorf("rl: reference log-probs: %w", err)
			}
			if err := checkShape(r, seqs[s:e]); err != nil {
				return st, fmt.Errorf("rl: reference: %w", err)
			}
			for _, row := range r { // owned copies: a scorer may reuse its buffers
				ref = append(ref, append([]float64(nil), row...))
			}
		}
	}
	if es, ok := g.Policy.(EntropyScorer); ok {
		if st.Entropy, err = meanEntropy(ctx, es, seqs, mb); err != nil {
			return st, err
		}
		st.EntropyFromLogits = true
	}
	old := make([][]float64, n)
	sp := c.surrogate()
	var total ObjectiveResult
	for it := 0; it < c.Iterations; it++ {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		g.Opt.ZeroGrad()
		var iter ObjectiveResult
		for s := 0; s < n; s += mb {
			e := min(s+mb, n)
			lp, bw, err := g.Policy.LogProbs(ctx, seqs[s:e])
			if err != nil {
				return st, fmt.Errorf("rl: policy log-probs: %w", err)
			}
			if err := checkShape(lp, seqs[s:e]); err != nil {
				return st, fmt.Errorf("rl: policy: %w", err)
			}
			if bw == nil {
				return st, errors.New("rl: policy LogProbs returned no backward function")
			}
			if it == 0 {
				for k := range lp {
					old[s+k] = append([]float64(nil), lp[k]...)
				}
			}
			var rb [][]float64
			if ref != nil {
				rb = ref[s:e]
			}
			res, err := GRPOObjective(lp, old[s:e], rb, adv[s:e], weights[s:e], sp)
			if err != nil {
				return st, err
			}
			if err := bw(res.Grad); err != nil {
				return st, fmt.Errorf("rl: policy backward: %w", err)
			}
			res.Grad = nil
			iter.Add(res)
		}
		if err := g.Opt.Step(lr); err != nil {
			return st, fmt.Errorf("rl: optimizer step: %w", err)
		}
		if it == 0 {
			st.Tokens = iter.Tokens
			if iter.Tokens > 0 && !st.EntropyFromLogits {
				st.Entropy = iter.NegLogProbSum / float64(iter.Tokens)
			}
		}
		total.Add(iter)
	}
	mu := float64(c.Iterations)
	st.Loss = total.Loss / mu
	st.CompletionLenMean = float64(st.Tokens) / float64(n)
	if total.Tokens > 0 {
		tk := float64(total.Tokens)
		st.ClipLowFrac = float64(total.ClipLow) / tk
		st.ClipHighFrac = float64(total.ClipHigh) / tk
		st.ClipFrac = st.ClipLowFrac + st.ClipHighFrac
		st.KLMean = total.KLSum / tk
	}
	st.HasKL = total.HasKL
	return st, nil
}

// checkShape verifies one log-prob per completion token of every sequence.
func checkShape(lp [][]float64, seqs []Sequence) error {
	if len(lp) != len(seqs) {
		return fmt.Errorf("%d log-prob rows for %d sequences", len(lp), len(seqs))
	}
	for i := range lp {
		if len(lp[i]) != len(seqs[i].Completion) {
			return fmt.Errorf("sequence %d: %d log-probs for %d completion tokens", i, len(lp[i]), len(seqs[i].Completion))
		}
	}
	return nil
}

// meanEntropy is the policy's mean next-token entropy over every completion token of seqs,
// mb sequences per call, computed before any update of this step.
func meanEntropy(ctx context.Context, es EntropyScorer, seqs []Sequence, mb int) (float64, error) {
	sum, tokens := 0.0, 0
	for s := 0; s < len(seqs); s += mb {
		e := min(s+mb, len(seqs))
		h, err := es.Entropies(ctx, seqs[s:e])
		if err != nil {
			return 0, fmt.Errorf("rl: policy entropies: %w", err)
		}
		if err := checkShape(h, seqs[s:e]); err != nil {
			return 0, fmt.Errorf("rl: policy entropies: %w", err)
		}
		for i, row := range h {
			for t, v := range row {
				if !finite(v) || v < -1e-9 {
					return 0, fmt.Errorf("rl: policy entropy of sequence %d token %d is %v", s+i, t, v)
				}
				sum += v
				tokens++
			}
		}
	}
	if tokens == 0 {
		return 0, nil
	}
	return sum / float64(tokens), nil
}
