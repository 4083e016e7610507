package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// SwiGLU returns silu(gate) * up elementwise, fused. Backward, with
// s = sigmoid(gate): dgate = g·up·s·(1 + gate·(1−s)), dup = g·gate·s.
func SwiGLU(gate, up *Value) *Value {
	if !equalShape(gate.Shape, up.Shape) {
		panic(fmt.Sprintf("nn: SwiGLU of gate %v and up %v", gate.Shape, up.Shape))
	}
	out := newOut("swiglu", gate.Shape)
	gd, ud := gate.F32(), up.F32()
	n := len(gd)
	kernels.ParallelFor(n, 8192, func(lo, hi int) {
		kernels.SwiGLU(out.Data[lo:hi], gd[lo:hi], ud[lo:hi])
	})
	return finish(out, func() {
		g := out.Grad
		// Fresh gradient buffers (gate and up feed only this op, as in
		// a LLaMA MLP) are overwritten rather than cleared and added to.
		var dg, du []float32
		var dgFresh, duFresh bool
		switch {
		case gate == up:
			if gate.RequiresGrad { // both terms add into one buffer
				dg = gate.grad()
				du = dg
			}
		default:
			if gate.RequiresGrad {
				dg, dgFresh = gate.gradFresh()
			}
			if up.RequiresGrad {
				du, duFresh = up.gradFresh()
			}
		}
		if dgFresh && duFresh {
			// The LLaMA MLP case: both gradients written by the kernel.
			kernels.ParallelFor(n, 8192, func(lo, hi int) {
				kernels.SwiGLUBackward(dg[lo:hi], du[lo:hi], g[lo:hi], gd[lo:hi], ud[lo:hi])
			})
			return
		}
		kernels.ParallelFor(n, 8192, func(lo, hi int) {
			const blk = 1024
			s := make([]float32, blk)
			for b := lo; b < hi; b += blk {
				e := min(b+blk, hi)
				sb := s[:e-b]
				for i := range sb {
					sb[i] = -gd[b+i]
				}
				kernels.Exp(sb, sb)
				for i := range sb {
					sig := 1 / (1 + sb[i])
					x := gd[b+i]
					gi := g[b+i]
					if du != nil {
						if duFresh {
							du[b+i] = gi * x * sig
						} else {
							du[b+i] += gi * x * sig
						}
					}
					if dg != nil {
						if dgFresh {
							dg[b+i] = gi * ud[b+i] * sig * (1 + x*(1-sig))
						} else {
							dg[b+i] += gi * ud[b+i] * sig * (1 + x*(1-sig))
						}
					}
				}
			}
		})
	}, gate, up)
}
