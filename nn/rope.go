package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// RoPE rotates x [..., nHeads*headDim] (rotate_half layout; see
// kernels.RoPE). Row r of x (all heads) sits at position pos[r]; cos and sin
// are tables of headDim/2 angles per position, position p at
// [p*headDim/2, (p+1)*headDim/2). Backward applies the inverse rotation.
func RoPE(x *Value, nHeads int, pos []int, cos, sin []float32) *Value {
	if len(x.Shape) == 0 || nHeads <= 0 || x.Shape[len(x.Shape)-1]%nHeads != 0 {
		panic(fmt.Sprintf("nn: RoPE of x %v with %d heads", x.Shape, nHeads))
	}
	width := x.Shape[len(x.Shape)-1]
	headDim := width / nHeads
	h := headDim / 2
	if headDim%2 != 0 {
		panic(fmt.Sprintf("nn: RoPE head dimension %d is odd", headDim))
	}
	rows := 0
	if width > 0 {
		rows = x.Numel() / width
	}
	if rows != len(pos) {
		panic(fmt.Sprintf("nn: RoPE of x %v (%d rows) with %d positions", x.Shape, rows, len(pos)))
	}
	if len(cos) != len(sin) || (h > 0 && len(cos)%h != 0) {
		panic(fmt.Sprintf("nn: RoPE tables of %d and %d values for head dimension %d", len(cos), len(sin), headDim))
	}
	for i, p := range pos {
		if p < 0 || (p+1)*h > len(cos) {
			panic(fmt.Sprintf("nn: RoPE position %d (row %d) outside the %d-position tables", p, i, len(cos)/max(h, 1)))
		}
	}
	out := newOutDirty("rope", x.Shape) // x copied in whole, then rotated
	xd := x.F32()
	kernels.ParallelFor(rows, 32, func(lo, hi int) {
		copy(out.Data[lo*width:hi*width], xd[lo*width:hi*width])
		for r := lo; r < hi; r++ {
			p := pos[r]
			kernels.RoPE(out.Data[r*width:(r+1)*width], nHeads, headDim, cos[p*h:(p+1)*h], sin[p*h:(p+1)*h])
		}
	})
	return finish(out, func() {
		dx, fresh := x.gradFresh()
		if fresh { // write the rotated gradient in place
			kernels.ParallelFor(rows, 32, func(lo, hi int) {
				copy(dx[lo*width:hi*width], out.Grad[lo*width:hi*width])
				for r := lo; r < hi; r++ {
					p := pos[r]
					kernels.RoPEInverse(dx[r*width:(r+1)*width], nHeads, headDim, cos[p*h:(p+1)*h], sin[p*h:(p+1)*h])
				}
			})
			return
		}
		kernels.ParallelFor(rows, 32, func(lo, hi int) {
			tmp := make([]float32, width)
			for r := lo; r < hi; r++ {
				p := pos[r]
				copy(tmp, out.Grad[r*width:(r+1)*width])
				kernels.RoPEInverse(tmp, nHeads, headDim, cos[p*h:(p+1)*h], sin[p*h:(p+1)*h])
				kernels.Axpy(1, tmp, dx[r*width:(r+1)*width])
			}
		})
	}, x)
}
