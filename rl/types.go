package rl

import (
	"context"
	"math/rand/v2"
)

// Prompt is one training input for sampling. IDs is the tokenized prompt (including any BOS
// and chat template); Text is its rendering, for reward functions and logs; Data is an opaque
// per-example payload passed untouched to the reward callback (for POPI: the user's
// preference pairs).
type Prompt struct {
	IDs  []int
	Text string
	Data any
}

// Completion is one sampled continuation of a prompt. IDs are the generated tokens, including
// the stop token if one was generated (its log-prob is part of the objective). Finished is
// true when generation stopped on a stop token rather than the length limit.
type Completion struct {
	IDs      []int
	Text     string
	Finished bool
}

// Sequence is what a policy scores: the prompt tokens and the completion tokens whose
// log-probs are wanted. Log-probs are returned for Completion tokens only. The completions
// of one GRPO group share the same Prompt slice (a policy may reuse the prompt's KV cache);
// implementations must not modify either slice.
type Sequence struct {
	Prompt     []int
	Completion []int
}

// SampleOptions controls sampling. Temperature 0 means greedy; TopP in (0,1] keeps the
// smallest set of tokens whose probability mass reaches TopP (1 or 0 disables it); TopK > 0
// keeps the K most likely tokens; MaxTokens bounds the completion length; StopIDs end a
// completion (the stop token is included in Completion.IDs).
type SampleOptions struct {
	Temperature float64
	TopP        float64
	TopK        int
	MaxTokens   int
	StopIDs     []int
}

// Backward accumulates d(loss)/d(parameters) into the policy's gradient buffers given
// d(loss)/d(log-prob) for every completion token, shaped like the log-probs it belongs to.
// It may be called at most once per LogProbs call.
type Backward func(dlp [][]float64) error

// Scorer computes per-token log-probs without keeping anything for a backward pass. A frozen
// reference model is a Scorer; so is a policy when computing old log-probs.
type Scorer interface {
	// Score returns, for each sequence, one log-prob per completion token:
	// log p(Completion[t] | Prompt, Completion[:t]). The trainers copy what they keep, so
	// an implementation may reuse its result buffers on the next call.
	Score(ctx context.Context, batch []Sequence) ([][]float64, error)
}

// Differentiable is a model whose log-probs can be back-propagated.
type Differentiable interface {
	// LogProbs is Score plus a Backward that accumulates parameter gradients.
	LogProbs(ctx context.Context, batch []Sequence) ([][]float64, Backward, error)
}

// Policy is a trainable model the trainers sample from and differentiate.
type Policy interface {
	Scorer
	Differentiable
	// Sample draws n completions of one prompt, deterministically given rng. The
	// log-probs later returned by LogProbs/Score must be of the distribution the training
	// objective refers to (for temperature sampling, usually the temperature-scaled one).
	Sample(ctx context.Context, prompt Prompt, n int, opts SampleOptions, rng *rand.Rand) ([]Completion, error)
}

// EntropyScorer is optionally implemented by a Policy whose logits are at hand: for each
// sequence, the entropy -Σ_v p_v log p_v (nats) of the distribution each completion token
// was drawn from (the one its log-probs refer to, e.g. temperature-scaled), one value per
// completion token. GRPO reports its mean as the policy entropy, as TRL does.
type EntropyScorer interface {
	Entropies(ctx context.Context, batch []Sequence) ([][]float64, error)
}

// Optimizer applies accumulated gradients. Step updates the parameters with learning rate
// lr; ZeroGrad clears the gradient buffers. Trainers call ZeroGrad before accumulating and
// Step once per optimisation step.
type Optimizer interface {
	Step(lr float64) error
	ZeroGrad()
}

// RewardFunc scores one completion of a prompt. A non-finite reward is an error.
type RewardFunc func(ctx context.Context, p Prompt, c Completion) (float64, error)
