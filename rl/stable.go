package rl

import "math"

// softplus returns log(1 + exp(x)) without overflow or loss of precision for large |x|.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// logSigmoid returns log σ(x) = -softplus(-x).
func logSigmoid(x float64) float64 { return -softplus(-x) }

// sigmoid returns 1/(1+exp(-x)) evaluated without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
