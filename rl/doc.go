// Package rl owns the reinforcement-learning and preference-optimisation objectives used by
// both POPI training stages, independent of any model or autograd implementation.
//
// Everything here works in float64 on log-probabilities the caller provides and returns the
// gradient of the loss with respect to those log-probabilities. A model plugs in through the
// [Policy] interface: it samples completions, returns per-token log-probs, and back-propagates
// d(loss)/d(log-prob) into its own parameters; an [Optimizer] then applies the accumulated
// gradient. Package rl imports nothing of this module (not llama, nn, tensor or popi).
//
// Contents:
//
//   - Preference losses on sequence log-probs with precomputed reference log-probs
//     ([PreferenceLoss], [PreferenceBatchLoss]): DPO -log σ(β h) with conservative label
//     smoothing ε, and IPO (h - 1/(2β))², where h = (lp_c - ref_c) - (lp_r - ref_r). Sequence
//     log-probs are sums over completion tokens (not means), matching the golden data in
//     testdata/tiny-llama3/dpo.json; PreferenceConfig.MeanLogProbs switches to per-token
//     means, which is what TRL's DPOTrainer does for loss_type="ipo" ([PreferenceLossTokens]).
//     TRL-style diagnostics (rewards/chosen, rewards/rejected, margins, accuracy).
//   - The k3 KL estimator exp(ref-lp) - (ref-lp) - 1 and its derivative ([KLk3]).
//   - GRPO: group-relative advantages ([Advantages]) with group / batch / no std scaling, the
//     clipped surrogate with optional asymmetric clip range and a per-token k3 KL penalty to a
//     frozen reference ([GRPOObjective]) under three loss aggregations (grpo, dapo, dr_grpo,
//     see [TokenWeights]), and a full step ([GRPO.Step]): sample G completions per prompt,
//     score them with a reward callback, compute reference log-probs once, then mu
//     optimisation iterations against the kept old log-probs, each one optimizer step with
//     gradient accumulation over micro-batches of sequences.
//     The step is split into [GRPO.Generate] (sampling, rewards from a per-completion
//     [RewardFunc] or a batched [GroupRewardFunc], advantages) and [GRPO.Optimize].
//   - A DPO/IPO step over preference examples ([DPO.Step]) with micro-batch gradient
//     accumulation, and [PrecomputeReference], which scores the reference model once.
//   - A generic training loop ([Loop]): seeded shuffling into batches over epochs, an LR
//     schedule callback ([ConstantLR], [WarmupCosine]), a per-step metrics callback,
//     context cancellation, a step limit and resumption at a step. Both POPI stages use it:
//     Loop[Prompt] with [GRPO.LoopStep], Loop[PreferenceExample] with [DPO.LoopStep].
//
// Porting TRL configurations: PreferenceConfig.Beta is DPOConfig.beta (the DPO temperature
// / IPO regularisation); GRPOConfig.Alpha is GRPOConfig.beta of TRL (the KL coefficient);
// GRPOConfig.EpsLow/EpsHigh are epsilon/epsilon_high, Iterations is num_iterations, and
// GroupSize is num_generations. The step metrics use TRL's names, with frac_reward_zero_std
// a fraction of groups and entropy computed from the policy's logits when it implements
// [EntropyScorer].
//
// Design notes: the model interface is split into [Scorer] (log-probs only: the frozen
// reference, old log-probs) and [Differentiable] (log-probs plus a [Backward] closure), so
// "no gradient" is a type-level property rather than a global mode; every call that may run
// a model takes a context. Statistics come as typed structs with a Map method using
// TRL-style names (rewards/chosen, clip_ratio/region_mean, kl, entropy, ...).
//
// Gradient contract: the loss functions return exact analytic derivatives with respect to each
// token log-prob (tested against finite differences). The surrogate's gradient follows the
// usual convention that the clipped branch contributes no gradient and that at ratio = 1
// (mu = 1, or the first of mu iterations) the gradient is -A per token (times the weight),
// although the ratio's value is exactly 1.
//
// Implementing Policy for a causal language model: Score runs one forward pass over
// Prompt+Completion and returns log-softmax(logits[len(Prompt)-1+t])[Completion[t]] for each
// completion token t (the last prompt position predicts the first completion token);
// LogProbs does the same while keeping what backward needs, and its Backward seeds the
// logits gradient at those positions with dlp[t] * (onehot(Completion[t]) - softmax).
// When sampling uses temperature T, the log-probs should come from logits/T so that the
// ratio refers to the sampling distribution (as TRL does). Prompts of one GRPO group are
// the same slice, so their prefix can be computed once.
//
// Reference log-probs are never recomputed per optimisation iteration: GRPO scores the
// reference once per generated batch; DPO requires them to be precomputed on the examples.
package rl
