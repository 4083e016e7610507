package kernels

import (
	"fmt"
	"math"
)

// AdamWHyper holds the per-step constants of a decoupled-weight-decay Adam
// update (see AdamWUpdate): the moment decays, the decay factor
// 1 - lr*weightDecay, the step size lr/(1 - Beta1^t), the bias correction
// 1/sqrt(1 - Beta2^t) of the second moment, and epsilon.
type AdamWHyper struct {
	Beta1, Beta2, Decay, StepSize, InvBc2, Eps float32
}

// AdamWUpdate applies one AdamW step to every element i of w, in place:
//
//	m[i] = Beta1*m[i] + (1-Beta1)*g[i]
//	v[i] = Beta2*v[i] + (1-Beta2)*g[i]*g[i]
//	w[i] = w[i]*Decay - StepSize*m[i] / (sqrt(v[i])*InvBc2 + Eps)
//
// in float32, each operation rounded separately (no fused multiply-add),
// so every path gives the result of adamwUpdateGeneric bit for bit. g, m
// and v must be at least as long as w.
func AdamWUpdate(w, g, m, v []float32, h AdamWHyper) {
	checkAdamW(w, g, m, v)
	kern.adamw(w, g, m, v, h)
}

func checkAdamW(w, g, m, v []float32) {
	if len(g) < len(w) || len(m) < len(w) || len(v) < len(w) {
		panic(fmt.Sprintf("kernels: AdamWUpdate of %d weights with %d gradients, %d and %d moments", len(w), len(g), len(m), len(v)))
	}
}

// adamwUpdateGeneric is the portable twin of AdamWUpdate.
func adamwUpdateGeneric(w, g, m, v []float32, h AdamWHyper) {
	checkAdamW(w, g, m, v)
	adamwGeneric(w, g, m, v, h)
}

func adamwGeneric(w, g, m, v []float32, h AdamWHyper) {
	c1, c2 := 1-h.Beta1, 1-h.Beta2
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i := range w {
		gi := g[i]
		mi := float32(h.Beta1*m[i]) + float32(c1*gi)
		vi := float32(h.Beta2*v[i]) + float32(float32(c2*gi)*gi)
		m[i], v[i] = mi, vi
		den := float32(sqrt32(vi)*h.InvBc2) + h.Eps
		w[i] = float32(w[i]*h.Decay) - float32(h.StepSize*mi)/den
	}
}

// adamwConsts is the constant block the assembly kernels broadcast.
type adamwConsts struct {
	b1, c1, b2, c2, decay, step, invBc2, eps float32
}

func (h AdamWHyper) consts() adamwConsts {
	return adamwConsts{h.Beta1, 1 - h.Beta1, h.Beta2, 1 - h.Beta2, h.Decay, h.StepSize, h.InvBc2, h.Eps}
}

// sqrt32 is the correctly rounded float32 square root (the float64 root of
// a float32 rounds to the same value as VSQRTPS).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
