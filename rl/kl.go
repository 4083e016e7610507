package rl

import "math"

// KLk3 returns the k3 estimator of KL(policy || ref) for one sampled token,
// k = exp(ref-lp) - (ref-lp) - 1 (always >= 0, unbiased for the KL when the token is drawn
// from the policy), and its derivative with respect to the policy log-prob lp,
// dk/dlp = 1 - exp(ref-lp).
func KLk3(lp, ref float64) (k, dk float64) {
	d := ref - lp
	e := math.Exp(d)
	if math.Abs(d) < 1e-3 {
		// k is second order in d here; the series avoids the cancellation in e^d - 1 - d
		// (truncation error below d^6/720, i.e. relative 1e-15).
		k = d * d * (0.5 + d*(1.0/6+d*(1.0/24+d/120)))
	} else {
		k = math.Expm1(d) - d
	}
	dk = 1 - e
	return k, dk
}
