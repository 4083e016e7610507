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
	out := newOutDirty("swiglu", gate.Shape) // written whole by the kernel
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

// SwiGLUStacked is SwiGLU of the two halves of gu's last dimension:
// gu [..., 2f] holds gate then up side by side in every row (the output
// of LinearStack(x, gate, up)); the result is [..., f].
func SwiGLUStacked(gu *Value) *Value {
	if len(gu.Shape) == 0 || gu.Shape[len(gu.Shape)-1]%2 != 0 {
		panic(fmt.Sprintf("nn: SwiGLUStacked of %v (the last dimension holds gate and up: even)", gu.Shape))
	}
	w := gu.Shape[len(gu.Shape)-1]
	f := w / 2
	shape := append(append([]int(nil), gu.Shape[:len(gu.Shape)-1]...), f)
	out := newOutDirty("swiglu", shape) // every row written (f == 0: empty)
	rows := numel(shape[:len(shape)-1])
	if f == 0 {
		return finish(out, nil, gu)
	}
	gd := gu.F32()
	grain := max(1, 8192/f)
	kernels.ParallelFor(rows, grain, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := gd[r*w : (r+1)*w]
			kernels.SwiGLU(out.Data[r*f:(r+1)*f], row[:f], row[f:])
		}
	})
	return finish(out, func() {
		g := out.Grad
		dgu, fresh := gu.gradFresh()
		kernels.ParallelFor(rows, grain, func(lo, hi int) {
			var tmp []float32
			if !fresh {
				tmp = make([]float32, w)
			}
			for r := lo; r < hi; r++ {
				row := gd[r*w : (r+1)*w]
				d := dgu[r*w : (r+1)*w]
				if fresh {
					kernels.SwiGLUBackward(d[:f], d[f:], g[r*f:(r+1)*f], row[:f], row[f:])
					continue
				}
				kernels.SwiGLUBackward(tmp[:f], tmp[f:], g[r*f:(r+1)*f], row[:f], row[f:])
				kernels.Axpy(1, tmp, d)
			}
		})
	}, gu)
}
