package popi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// Stage2Config configures a generator fine-tuning (Algorithm 1, lines 12-18, and the
// Raw-Aligned / Inference-Aligned baselines): DPO or IPO on the conditioned generator with
// reference log-probs of the prompt-only reference generator, precomputed once.
type Stage2Config struct {
	Steps       int
	BatchSize   int // preference pairs per step (paper: 8)
	LR          float64
	Warmup      int
	WeightDecay float64
	MicroBatch  int // pairs per forward/backward (0: all)
	Seed        uint64
	// CheckpointEvery saves a resumable checkpoint every that many steps (0: end only).
	CheckpointEvery int
}

// Validate reports a configuration error.
func (c Stage2Config) Validate() error {
	switch {
	case c.Steps <= 0 || c.BatchSize <= 0:
		return fmt.Errorf("popi: stage 2 needs Steps and BatchSize > 0 (got %d, %d)", c.Steps, c.BatchSize)
	case !(c.LR >= 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("popi: stage 2 bad learning rate %v", c.LR)
	case c.Warmup < 0 || c.MicroBatch < 0:
		return errors.New("popi: stage 2 warm-up and micro-batch must not be negative")
	}
	return nil
}

// Stage2Examples builds the fine-tuning examples: every target pair of every episode, its
// prompt rendered under cond(episode, target) through the chat template, the responses as
// assistant turns, and the reference log-probs from obj's cache (the prompt-only reference
// generator; scored once per pair however many methods or steps use it).
func Stage2Examples(obj *Objective, eps []data.Episode, cond func(ep, target int) (prompt.Conditioning, error)) ([]rl.PreferenceExample, error) {
	var out []rl.PreferenceExample
	for i := range eps {
		for j, t := range eps[i].Targets {
			c, err := cond(i, j)
			if err != nil {
				return nil, fmt.Errorf("popi: episode %d target %d: %w", i, j, err)
			}
			if c.Cond == prompt.CondSummary && c.Summary == "" {
				continue // an empty summary carries nothing to train on
			}
			rc, rr, err := obj.Reference(t)
			if err != nil {
				return nil, fmt.Errorf("popi: episode %d target %d: %w", i, j, err)
			}
			m, err := obj.P.GeneratorMessages(c, t.Prompt)
			if err != nil {
				return nil, fmt.Errorf("popi: episode %d target %d: %w", i, j, err)
			}
			out = append(out, rl.PreferenceExample{Prompt: obj.Enc.Prompt(m), Chosen: obj.Enc.Reply(t.Chosen),
				Rejected: obj.Enc.Reply(t.Rejected), RefChosen: rc, RefRejected: rr, HasRef: true})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("popi: no Stage-2 examples")
	}
	return out, nil
}

// Stage2 fine-tunes a generator πθ in place.
type Stage2 struct {
	Config Stage2Config
	Pref   rl.PreferenceConfig
	Policy *LMPolicy
	Tok    *llama.Tokenizer
}

// Run trains under the phase name (e.g. "stage2-popi-full"), resuming from its checkpoint.
func (s *Stage2) Run(ctx context.Context, run *Run, name string, examples []rl.PreferenceExample, resume bool) (TrainState, error) {
	c := s.Config
	if err := c.Validate(); err != nil {
		return TrainState{}, err
	}
	if s.Policy == nil {
		return TrainState{}, errors.New("popi: Stage2 needs a policy")
	}
	s.Policy.Temperature = 0
	opt := s.Policy.NewAdamW(c.WeightDecay)
	d := &rl.DPO{Policy: s.Policy, Opt: opt, Config: s.Pref, MicroBatch: c.MicroBatch}
	ph := &phase[rl.PreferenceExample]{
		Name: name, Run: run, Model: s.Policy.Model, Tok: s.Tok, Opt: opt, Train: s.Policy.Trainable(),
		Data: examples, BatchSize: min(c.BatchSize, len(examples)), Steps: c.Steps, Seed: c.Seed,
		LR: rl.WarmupCosine(c.LR, c.Warmup, c.Steps), Every: c.CheckpointEvery, Resume: resume,
		Step: d.LoopStep, HeadName: "loss",
		Headline: func(m map[string]float64) (float64, float64) { return m["loss"], 0 },
	}
	return ph.run(ctx)
}
