package popi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/rl"
)

// Stage1Config configures Stage 1 (Algorithm 1, lines 3-11): GRPO on the inference model πφ
// with reward −ℓ (Eq. 1 or 2) of the frozen generator given each sampled summary and a KL
// penalty to the frozen πφ_ref.
type Stage1Config struct {
	Steps     int     // optimizer steps
	BatchSize int     // user episodes (prompts) per step (paper: 8)
	GroupSize int     // summaries sampled per prompt (>= 2)
	LR        float64 // peak learning rate (paper: 1e-6 for 3B models)
	Warmup    int     // warm-up steps of the cosine schedule (paper: 150)
	// Alpha is the KL weight; negative selects the paper's DefaultAlpha(kind, β).
	Alpha       float64
	WeightDecay float64
	Temperature float64 // sampling temperature of summaries
	TopP        float64
	MaxTokens   int // summary length limit in tokens
	// RewardPairs is the number of the episode's target pairs averaged in one reward (the
	// paper samples one example per iteration; more lowers the reward's variance).
	RewardPairs int
	MicroBatch  int // sequences per forward/backward (0: all)
	Seed        uint64
	// PromptDependent conditions the summary on the upcoming prompt too (Appendix B); each
	// prompt then carries exactly one target pair.
	PromptDependent bool
	CheckpointEvery int
}

// Validate reports a configuration error.
func (c Stage1Config) Validate() error {
	switch {
	case c.Steps <= 0 || c.BatchSize <= 0:
		return fmt.Errorf("popi: stage 1 needs Steps and BatchSize > 0 (got %d, %d)", c.Steps, c.BatchSize)
	case c.GroupSize < 2:
		return fmt.Errorf("popi: stage 1 group size must be >= 2, got %d", c.GroupSize)
	case !(c.LR >= 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("popi: stage 1 bad learning rate %v", c.LR)
	case c.MaxTokens <= 0:
		return fmt.Errorf("popi: stage 1 MaxTokens must be > 0, got %d", c.MaxTokens)
	case c.RewardPairs <= 0:
		return fmt.Errorf("popi: stage 1 RewardPairs must be > 0, got %d", c.RewardPairs)
	case c.Warmup < 0:
		return fmt.Errorf("popi: stage 1 warm-up %d must not be negative", c.Warmup)
	}
	return nil
}

// stage1Data is the payload of a Stage-1 prompt: the target pairs its reward uses.
type stage1Data struct {
	Episode int
	Pairs   []PrefPair
}

// Stage1Prompts builds the Stage-1 training prompts: each episode's inference prompt
// (rendered through the chat template) with its target pairs cut into chunks of
// rewardPairs, one prompt per chunk. With promptDependent each prompt holds one target pair
// and its inference prompt includes that pair's user prompt.
func Stage1Prompts(enc *ChatEncoder, p Prompting, eps []Episode, rewardPairs int, promptDependent bool) ([]rl.Prompt, error) {
	if rewardPairs <= 0 {
		return nil, errors.New("popi: Stage1Prompts: rewardPairs must be > 0")
	}
	var out []rl.Prompt
	for i := range eps {
		ep := &eps[i]
		sig := EpisodeSignals(ep)
		if promptDependent {
			for _, t := range ep.Targets {
				m, err := p.InferenceMessages(sig, t.Prompt)
				if err != nil {
					return nil, fmt.Errorf("popi: episode %d (user %s): %w", i, ep.UserID, err)
				}
				out = append(out, rl.Prompt{IDs: enc.Prompt(m), Text: m.User, Data: &stage1Data{Episode: i, Pairs: []PrefPair{t}}})
			}
			continue
		}
		m, err := p.InferenceMessages(sig, "")
		if err != nil {
			return nil, fmt.Errorf("popi: episode %d (user %s): %w", i, ep.UserID, err)
		}
		ids := enc.Prompt(m)
		for s := 0; s+rewardPairs <= len(ep.Targets); s += rewardPairs {
			out = append(out, rl.Prompt{IDs: ids, Text: m.User, Data: &stage1Data{Episode: i, Pairs: ep.Targets[s : s+rewardPairs]}})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("popi: no Stage-1 prompts (episodes need at least %d target pairs)", rewardPairs)
	}
	return out, nil
}

// SummaryReward returns the GRPO group reward of Stage 1: for each sampled summary,
// −ℓ averaged over the prompt's target pairs, with the generator of obj frozen.
func SummaryReward(obj *Objective) rl.GroupRewardFunc {
	return func(ctx context.Context, p rl.Prompt, cs []rl.Completion) ([]float64, error) {
		d, ok := p.Data.(*stage1Data)
		if !ok || len(d.Pairs) == 0 {
			return nil, errors.New("popi: Stage-1 prompt without target pairs")
		}
		out := make([]float64, len(cs))
		for i, c := range cs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			l, err := obj.SummaryLoss(c.Text, d.Pairs)
			if err != nil {
				return nil, fmt.Errorf("summary %d: %w", i, err)
			}
			out[i] = -l
		}
		return out, nil
	}
}

// Stage1 holds the models of Stage 1: the trainable inference model πφ, its frozen
// reference πφ_ref and the objective with the frozen generator.
type Stage1 struct {
	Config Stage1Config
	Policy *LMPolicy // πφ (trained in place)
	Ref    *LMPolicy // πφ_ref
	Obj    *Objective
	Tok    *llama.Tokenizer
}

// Run trains πφ in run (resuming from run's Stage-1 checkpoint when resume is set) and
// returns the final state, whose History is the reward curve.
func (s *Stage1) Run(ctx context.Context, run *Run, prompts []rl.Prompt, resume bool) (TrainState, error) {
	c := s.Config
	if err := c.Validate(); err != nil {
		return TrainState{}, err
	}
	if s.Policy == nil || s.Ref == nil || s.Obj == nil || s.Policy.Enc == nil {
		return TrainState{}, errors.New("popi: Stage1 needs Policy (with an encoder), Ref and Obj")
	}
	alpha := c.Alpha
	if alpha < 0 {
		alpha = DefaultAlpha(s.Obj.Pref.Kind, s.Obj.Pref.Beta)
	}
	s.Policy.Temperature, s.Ref.Temperature = c.Temperature, c.Temperature
	gc := rl.DefaultGRPOConfig()
	gc.GroupSize = c.GroupSize
	gc.Alpha = alpha
	gc.MicroBatch = c.MicroBatch
	gc.Sample = rl.SampleOptions{Temperature: c.Temperature, TopP: c.TopP, MaxTokens: c.MaxTokens, StopIDs: []int{s.Policy.Enc.End}}
	opt := s.Policy.NewAdamW(c.WeightDecay)
	pcg, rng := newPCG(c.Seed, 0x57a6e1)
	g := &rl.GRPO{Policy: s.Policy, Ref: s.Ref, Opt: opt, GroupReward: SummaryReward(s.Obj), Config: gc, Rand: rng}
	ph := &phase[rl.Prompt]{
		Name: "stage1", Run: run, Model: s.Policy.Model, Tok: s.Tok, Opt: opt, RNG: pcg,
		Data: prompts, BatchSize: min(c.BatchSize, len(prompts)), Steps: c.Steps, Seed: c.Seed,
		LR: rl.WarmupCosine(c.LR, c.Warmup, c.Steps), Every: c.CheckpointEvery, Resume: resume,
		Step: g.LoopStep, HeadName: "reward",
		Headline: func(m map[string]float64) (float64, float64) { return m["reward"], m["reward_std"] },
	}
	return ph.run(ctx)
}
