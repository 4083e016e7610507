package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// SplitLast cuts x [..., n1+n2+...] along its last dimension into values
// [..., n1], [..., n2], ... (copies). Backward adds each part's gradient
// into its columns of x's.
func SplitLast(x *Value, sizes ...int) []*Value {
	if len(x.Shape) == 0 {
		panic(fmt.Sprintf("nn: SplitLast of x %v", x.Shape))
	}
	width := x.Shape[len(x.Shape)-1]
	total := 0
	for _, n := range sizes {
		if n < 0 {
			panic(fmt.Sprintf("nn: SplitLast of x %v into %v", x.Shape, sizes))
		}
		total += n
	}
	if total != width {
		panic(fmt.Sprintf("nn: SplitLast of x %v into %v (sizes must add up to %d)", x.Shape, sizes, width))
	}
	rows := numel(x.Shape[:len(x.Shape)-1])
	xd := x.F32()
	outs := make([]*Value, len(sizes))
	for i, n := range sizes {
		shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), n)
		outs[i] = newOutDirty("split", shape) // every row copied below
	}
	grain := max(1, 16384/max(width, 1))
	kernels.ParallelFor(rows, grain, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			off := r * width
			for i, n := range sizes {
				copy(outs[i].Data[r*n:(r+1)*n], xd[off:off+n])
				off += n
			}
		}
	})
	parts := make([]*Value, len(sizes))
	off := 0
	for i, n := range sizes {
		out, c0 := outs[i], off
		parts[i] = finish(out, func() {
			dx := x.grad()
			g := out.Grad
			kernels.ParallelFor(rows, grain, func(lo, hi int) {
				for r := lo; r < hi; r++ {
					kernels.Axpy(1, g[r*n:(r+1)*n], dx[r*width+c0:r*width+c0+n])
				}
			})
		}, x)
		off += n
	}
	return parts
}
