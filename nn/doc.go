// Package nn owns popi-go's define-by-run reverse-mode autograd and its
// training utilities.
//
// A Value holds a dense row-major float32 array (Data, Shape) and, once a
// gradient reaches it, Grad. Param makes a trainable leaf, Const a constant
// (a BF16/F16 tensor stays 16-bit: frozen weights for Linear, MatMul and
// Embedding). Every op computes its result immediately with the kernels
// package and, when some input requires a gradient, records its parents and
// one backward closure (per op, never per element). v.Backward() walks the
// recorded graph in reverse topological order (iteratively), accumulates
// (+=) gradients into the leaves, then releases closures, parent links and
// intermediate gradients, so memory does not grow across steps; a second
// Backward through the same graph returns ErrReleased.
//
// NoGrad(fn) runs fn without recording anything (process-wide, counted:
// concurrent rollouts may each call it, but no other goroutine may record a
// graph meanwhile). v.Detach() cuts one value from the graph.
//
// Ops: Linear, LinearStack (several weights side by side; one GEMM per pass
// when their storage is stacked, as a model's fused Q/K/V and gate/up
// rows, f32 or frozen 16-bit), LinearLoRA (LinearStack plus low-rank
// adapters on any of the weights, PEFT semantics: scale·(drop(x)·Aᵀ)·Bᵀ,
// seeded input dropout; the base stays one GEMM and dx flows through the
// frozen weights, 16-bit ones included), MatMul, broadcasting Add/Sub/Mul/Div/Minimum/Maximum, Scale,
// AddScalar, Neg, Exp, Log, Sigmoid, LogSigmoid, SiLU, Clamp, Where, Sum,
// Mean, MaskedSum/MaskedMean, Reshape, Transpose, Slice, SplitLast, Concat,
// Embedding, fused RMSNorm, fused SwiGLU (and SwiGLUStacked on a stacked
// gate|up value), RoPE (any positions, given cos/sin tables),
// fused causal GQA Attention (log-sum-exp saved, no T×T matrix) and
// AttentionAt (queries continuing a shared prefix), Softmax,
// LogSoftmax, TokenLogProbs (per-row target log-prob keeping only the
// log-sum-exp), CrossEntropy (negative targets are ignored rows),
// WeightedCrossEntropy (float mask), LinearLogProbs / LinearCrossEntropy (output
// projection fused with the log-probs, logits processed in row chunks and
// never held whole), and Checkpoint (recompute a block in backward).
//
// Training: AdamW (decoupled decay, bias correction, exact State save and
// restore), SGD, WarmupCosine schedule, ClipGradNorm, ParamGroup/SplitDecay,
// Freeze, gradient accumulation (gradients add up across Backward calls;
// ScaleGrads/ZeroGrads).
//
// Memory: op outputs and intermediate gradients come from one pool of
// buffers recycled by exact length. Values a graph builder marks
// Transient (activations it never hands out) give their buffers back as
// Backward passes them, so a training loop reuses its activation memory
// instead of allocating and page-faulting it every step.
//
// Numerics are float32. SetDebug(true) scans every op's output and gradient
// for NaN/Inf; Backward (and Value.Err) then return an error naming the op
// that produced the first one. Optimizer steps always refuse non-finite
// gradients with an error naming the parameter.
//
// Shape mistakes in op calls are programmer errors and panic with both
// shapes in the message.
//
// Concurrency: forward ops on distinct values may run on several goroutines
// (they only read shared parameters). Backward calls whose graphs share
// leaves must not run at the same time (they accumulate into the same Grad),
// and optimizer steps must not overlap forward or backward passes.
package nn
