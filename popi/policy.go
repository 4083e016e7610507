package popi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// LMPolicy adapts a LLaMA model to rl.Policy: it samples completions with the inference
// engine, scores them with the KV-cache forward pass (sequences sharing a prompt share one
// prefill), and differentiates them through llama.Trainable. Optimizer steps on the
// trainable parameters are visible to sampling at once because the float32 weights share
// storage. The log-probs are those of softmax(logits / Temperature) when Temperature is
// set (> 0 and != 1), the distribution temperature sampling draws from.
//
// An LMPolicy is not safe for concurrent use.
type LMPolicy struct {
	Model *llama.Model
	Enc   *prompt.ChatEncoder
	// Temperature of the log-probs (0 or 1: plain log-softmax).
	Temperature float64

	train     *llama.Trainable
	lastPass  passRows // rows of the last LogProbs pass, for the step's flop count
	runner    *llama.Runner
	entRunner *llama.Runner // Entropies' own scratch, so sampling state is never touched
}

// NewLMPolicy wraps m. enc decodes completions into text; it may be nil when only log-probs
// are needed (a reference Scorer).
func NewLMPolicy(m *llama.Model, enc *prompt.ChatEncoder) (*LMPolicy, error) {
	if m == nil {
		return nil, errors.New("popi: NewLMPolicy: nil model")
	}
	return &LMPolicy{Model: m, Enc: enc, runner: m.NewRunner()}, nil
}

// Trainable returns the autograd view of the model (created on first use).
func (p *LMPolicy) Trainable() *llama.Trainable {
	if p.train == nil {
		p.train = p.Model.Trainable()
	}
	return p.train
}

// NewAdamW returns an AdamW optimizer over the policy's trainable parameters, with weight
// decay wd on matrices only. It satisfies rl.Optimizer.
func (p *LMPolicy) NewAdamW(wd float64) *nn.AdamW {
	return nn.NewAdamW(nn.AdamWConfig{}, nn.SplitDecay(p.Trainable().Params(), wd)...)
}

func (p *LMPolicy) scaled() bool { return p.Temperature > 0 && p.Temperature != 1 }

func checkSeqs(batch []rl.Sequence) error {
	for i, s := range batch {
		if len(s.Prompt) == 0 {
			return fmt.Errorf("popi: sequence %d has an empty prompt", i)
		}
	}
	return nil
}

// Score returns per-token log-probs of each sequence's completion. Consecutive sequences
// with equal prompts are scored after one shared prefill.
func (p *LMPolicy) Score(ctx context.Context, batch []rl.Sequence) ([][]float64, error) {
	if err := checkSeqs(batch); err != nil {
		return nil, err
	}
	if p.scaled() {
		var out [][]float64
		var err error
		nn.NoGrad(func() { out, _, err = p.logProbs(batch) })
		return out, err
	}
	out := make([][]float64, len(batch))
	for s := 0; s < len(batch); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := s + 1
		for e < len(batch) && slices.Equal(batch[e].Prompt, batch[s].Prompt) {
			e++
		}
		conts := make([][]int, e-s)
		for i := s; i < e; i++ {
			conts[i-s] = batch[i].Completion
		}
		sc, err := p.runner.Score(batch[s].Prompt, conts)
		if err != nil {
			return nil, fmt.Errorf("popi: scoring: %w", err)
		}
		for i := range sc {
			out[s+i] = sc[i].TokenLogProbs
			if out[s+i] == nil {
				out[s+i] = []float64{}
			}
		}
		s = e
	}
	return out, nil
}

func (p *LMPolicy) logProbs(batch []rl.Sequence) ([][]float64, *llama.LogProbs, error) {
	seqs := make([]llama.TrainSeq, len(batch))
	for i, s := range batch {
		seqs[i] = llama.TrainSeq{Prompt: s.Prompt, Completion: s.Completion}
	}
	t := p.Temperature
	if t == 0 {
		t = 1
	}
	lp, err := p.Trainable().CompletionLogProbs(seqs, t)
	if err != nil {
		return nil, nil, fmt.Errorf("popi: log-probs: %w", err)
	}
	p.lastPass = passRows{blocks: int64(lp.Rows), head: int64(lp.Flat.Numel()), recomputed: p.train.Checkpoint}
	return lp.Tokens(), lp, nil
}

// LogProbs implements rl.Differentiable.
func (p *LMPolicy) LogProbs(ctx context.Context, batch []rl.Sequence) ([][]float64, rl.Backward, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := checkSeqs(batch); err != nil {
		return nil, nil, err
	}
	out, lp, err := p.logProbs(batch)
	if err != nil {
		return nil, nil, err
	}
	return out, lp.Backward, nil
}

// Sample implements rl.Policy: n completions of the prompt, one prefill shared by all,
// seeded from rng so a run is reproducible. Generation stops at opts.StopIDs (the chat
// encoder's end-of-turn token when empty).
func (p *LMPolicy) Sample(ctx context.Context, prompt rl.Prompt, n int, opts rl.SampleOptions, rng *rand.Rand) ([]rl.Completion, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n <= 0 || opts.MaxTokens <= 0 {
		return nil, fmt.Errorf("popi: Sample: need n > 0 and MaxTokens > 0 (got %d, %d)", n, opts.MaxTokens)
	}
	if len(prompt.IDs) == 0 {
		return nil, errors.New("popi: Sample: empty prompt")
	}
	stops := opts.StopIDs
	if len(stops) == 0 && p.Enc != nil {
		stops = []int{p.Enc.End}
	}
	cs, err := p.runner.GenerateN(prompt.IDs, n, llama.GenerateOptions{
		SampleOptions: llama.SampleOptions{Temperature: opts.Temperature, TopK: opts.TopK, TopP: opts.TopP},
		MaxTokens:     opts.MaxTokens,
		Seed:          rng.Uint64(),
		StopTokens:    stops,
	})
	if err != nil {
		return nil, fmt.Errorf("popi: sampling: %w", err)
	}
	out := make([]rl.Completion, len(cs))
	for i, c := range cs {
		out[i] = rl.Completion{IDs: c.Tokens, Finished: c.Finish == llama.FinishStop}
		if p.Enc != nil {
			out[i].Text = p.Enc.DecodeReply(c.Tokens)
		}
	}
	return out, nil
}

// CloneModel returns a deep copy of m's weights (same config), for example a trainable
// copy of a frozen base model.
func CloneModel(m *llama.Model) *llama.Model {
	c := *m
	cm := func(w llama.Matrix) llama.Matrix {
		w.F32 = slices.Clone(w.F32)
		w.U16 = slices.Clone(w.U16)
		return w
	}
	c.Embed = cm(m.Embed)
	c.Norm = slices.Clone(m.Norm)
	c.Layers = make([]llama.Layer, len(m.Layers))
	for i, l := range m.Layers {
		c.Layers[i] = llama.Layer{
			AttnNorm: slices.Clone(l.AttnNorm), Q: cm(l.Q), K: cm(l.K), V: cm(l.V), O: cm(l.O),
			MLPNorm: slices.Clone(l.MLPNorm), Gate: cm(l.Gate), Up: cm(l.Up), Down: cm(l.Down),
		}
	}
	if m.LMHead == &m.Embed {
		c.LMHead = &c.Embed
	} else if m.LMHead != nil {
		h := cm(*m.LMHead)
		c.LMHead = &h
	}
	return &c
}
