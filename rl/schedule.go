package rl

import "math"

// ConstantLR returns a schedule with the same learning rate at every step.
func ConstantLR(lr float64) func(step int) float64 {
	return func(int) float64 { return lr }
}

// WarmupCosine returns a schedule rising linearly from peak/warmup at step 0 to peak at
// step warmup-1, then decaying as a half cosine from peak to 0 at step total (and 0
// afterwards). warmup may be 0; total must exceed warmup for the decay phase to exist.
func WarmupCosine(peak float64, warmup, total int) func(step int) float64 {
	return func(step int) float64 {
		if step < warmup {
			return peak * float64(step+1) / float64(warmup)
		}
		if step >= total {
			return 0
		}
		p := float64(step-warmup) / float64(total-warmup)
		return peak * 0.5 * (1 + math.Cos(math.Pi*p))
	}
}
