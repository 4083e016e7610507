package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// RMSNorm normalises the last dimension: y = w * x / sqrt(mean(x²) + eps),
// fused (one kernel per row; the per-row reciprocal root is kept for
// backward). w has the size of x's last dimension.
//
// Backward, with r the reciprocal root and n the row length:
// dx = r·(g∘w) − (r³/n)·Σ(g∘w∘x)·x, dw += Σ_rows g∘x·r.
func RMSNorm(x, w *Value, eps float32) *Value {
	if len(x.Shape) == 0 || len(w.Shape) != 1 || w.Shape[0] != x.Shape[len(x.Shape)-1] {
		panic(fmt.Sprintf("nn: RMSNorm of x %v with weight %v", x.Shape, w.Shape))
	}
	n := w.Shape[0]
	out := newOutDirty("rmsnorm", x.Shape) // every row written (n == 0: empty)
	if n == 0 {
		return finish(out, nil, x, w)
	}
	rows := x.Numel() / n
	xd, wd := x.F32(), w.F32()
	rs := make([]float32, rows)
	kernels.ParallelFor(rows, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			rs[r] = kernels.RMSNorm(out.Data[r*n:(r+1)*n], xd[r*n:(r+1)*n], wd, eps)
		}
	})
	return finish(out, func() {
		g := out.Grad
		if x.RequiresGrad {
			dx := x.grad()
			kernels.ParallelFor(rows, 16, func(lo, hi int) {
				gw := make([]float32, n)
				for r := lo; r < hi; r++ {
					gr, xr := g[r*n:(r+1)*n], xd[r*n:(r+1)*n]
					kernels.Mul(gw, gr, wd)
					s := kernels.Dot(gw, xr)
					ri := rs[r]
					c := -ri * ri * ri * s / float32(n)
					dxr := dx[r*n : (r+1)*n]
					kernels.Axpy(ri, gw, dxr)
					kernels.Axpy(c, xr, dxr)
				}
			})
		}
		if w.RequiresGrad {
			// dw = Σ_rows g∘x·r: partial sums over a fixed number of row
			// chunks (in parallel), added in chunk order, so the result does
			// not depend on the worker count.
			chunks := min(rmsnormDWChunks, rows)
			part := make([]float32, chunks*n)
			kernels.ParallelFor(chunks, 1, func(lo, hi int) {
				tmp := make([]float32, n)
				for c := lo; c < hi; c++ {
					acc := part[c*n : (c+1)*n]
					for r := c * rows / chunks; r < (c+1)*rows/chunks; r++ {
						kernels.Mul(tmp, g[r*n:(r+1)*n], xd[r*n:(r+1)*n])
						kernels.Axpy(rs[r], tmp, acc)
					}
				}
			})
			dw := w.grad()
			for c := 0; c < chunks; c++ {
				kernels.Axpy(1, part[c*n:(c+1)*n], dw)
			}
		}
	}, x, w)
}

// rmsnormDWChunks is the number of row chunks of RMSNorm's weight
// gradient (partial sums computed in parallel).
const rmsnormDWChunks = 8
