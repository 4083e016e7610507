package nn

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/kernels"
)

// GradNorm returns the global L2 norm of the gradients of params
// (accumulated in float64). Parameters without a gradient count as zero.
func GradNorm(params []*Value) float64 {
	var ss float64
	const chunk = 1024 // short float32 partial sums, added in float64
	for _, p := range params {
		g := p.Grad
		for i := 0; i < len(g); i += chunk {
			c := g[i:min(i+chunk, len(g))]
			ss += float64(kernels.Dot(c, c))
		}
	}
	return math.Sqrt(ss)
}

// ClipGradNorm scales all gradients by maxNorm/(norm+1e-6) when their global
// L2 norm exceeds maxNorm, and returns the norm before clipping. A
// non-finite norm is an error naming the first parameter with a NaN/Inf
// gradient, and nothing is scaled.
func ClipGradNorm(params []*Value, maxNorm float64) (float64, error) {
	if !(maxNorm > 0) {
		return 0, fmt.Errorf("nn: ClipGradNorm with max norm %v", maxNorm)
	}
	norm := GradNorm(params)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		if err := checkGrads([]ParamGroup{{Params: params}}); err != nil {
			return norm, err
		}
		return norm, fmt.Errorf("nn: gradient norm overflows (%v)", norm)
	}
	if norm > maxNorm {
		s := float32(maxNorm / (norm + 1e-6))
		for _, p := range params {
			if p.Grad != nil {
				kernels.Scale(s, p.Grad)
			}
		}
	}
	return norm, nil
}
