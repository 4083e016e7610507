package nn

import "fmt"

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
	parts := make([]*Value, len(sizes))
	off := 0
	for i, n := range sizes {
		shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), n)
		out := newOutDirty("split", shape) // every row copied
		c0 := off
		for r := 0; r < rows; r++ {
			copy(out.Data[r*n:(r+1)*n], xd[r*width+c0:r*width+c0+n])
		}
		parts[i] = finish(out, func() {
			dx := x.grad()
			g := out.Grad
			for r := 0; r < rows; r++ {
				d := dx[r*width+c0 : r*width+c0+n]
				for j, v := range g[r*n : (r+1)*n] {
					d[j] += v
				}
			}
		}, x)
		off += n
	}
	return parts
}
