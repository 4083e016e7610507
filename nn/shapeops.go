package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
	"github.com/popi-go/popi/tensor"
)

// Reshape returns x with a new shape of the same element count (one
// dimension may be -1). The data is shared, not copied (a 16-bit constant
// stays 16-bit).
func Reshape(x *Value, shape ...int) *Value {
	shape = inferShape(x.Shape, shape)
	out := &Value{Data: x.Data, Shape: shape, op: "reshape"}
	if x.q != nil {
		if !equalShape(shape, x.Shape) {
			panic(fmt.Sprintf("nn: cannot reshape the quantized matrix %v to %v", x.Shape, shape))
		}
		out.q = x.q
	}
	if x.half != nil {
		out.half = x.half.Reshape(shape...)
	}
	return finish(out, func() {
		if !stealGrad(out, x) {
			addGrad(x, out.Grad, 1)
		}
	}, x)
}

func inferShape(from, shape []int) []int {
	s := append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("nn: cannot reshape %v to %v", from, shape))
		default:
			known *= d
		}
	}
	n := numel(from)
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			panic(fmt.Sprintf("nn: cannot reshape %v to %v", from, shape))
		}
		s[infer] = n / known
	}
	if numel(s) != n {
		panic(fmt.Sprintf("nn: cannot reshape %v to %v", from, shape))
	}
	return s
}

// Transpose swaps dimensions d0 and d1 (negative counts from the end),
// copying into a contiguous result.
func Transpose(x *Value, d0, d1 int) *Value {
	t := x.Tensor().Transpose(d0, d1)
	out := &Value{Data: t.Contiguous().F32(), Shape: append([]int(nil), t.Shape()...), op: "transpose"}
	if x.half != nil {
		out.Data = t.To(tensor.F32).F32()
	}
	return finish(out, func() {
		g := tensor.FromF32(out.Grad, out.Shape...).Transpose(d0, d1)
		tensor.FromF32(x.grad(), x.Shape...).AddFrom(g)
	}, x)
}

// Slice keeps elements [start, end) of dimension dim (copied).
func Slice(x *Value, dim, start, end int) *Value {
	t := x.Tensor().Slice(dim, start, end)
	out := &Value{Data: t.Clone().To(tensor.F32).F32(), Shape: append([]int(nil), t.Shape()...), op: "slice"}
	return finish(out, func() {
		view := tensor.FromF32(x.grad(), x.Shape...).Slice(dim, start, end)
		view.AddFrom(tensor.FromF32(out.Grad, out.Shape...))
	}, x)
}

// Concat joins values along dimension dim; all other dimensions must agree.
func Concat(dim int, xs ...*Value) *Value {
	if len(xs) == 0 {
		panic("nn: Concat of no values")
	}
	nd := len(xs[0].Shape)
	if dim < 0 {
		dim += nd
	}
	if dim < 0 || dim >= nd {
		panic(fmt.Sprintf("nn: Concat along dimension %d of shape %v", dim, xs[0].Shape))
	}
	shape := append([]int(nil), xs[0].Shape...)
	shape[dim] = 0
	for _, x := range xs {
		for i := range shape {
			if len(x.Shape) != nd || (i != dim && x.Shape[i] != shape[i]) {
				panic(fmt.Sprintf("nn: Concat along dimension %d of shapes %v and %v", dim, xs[0].Shape, x.Shape))
			}
		}
		shape[dim] += x.Shape[dim]
	}
	out := newOut("concat", shape)
	outer := numel(shape[:dim])
	inner := numel(shape[dim+1:])
	rowOut := shape[dim] * inner
	off := 0
	for _, x := range xs {
		w := x.Shape[dim] * inner
		xd := x.F32()
		for o := 0; o < outer; o++ {
			copy(out.Data[o*rowOut+off:o*rowOut+off+w], xd[o*w:(o+1)*w])
		}
		off += w
	}
	return finish(out, func() {
		off := 0
		for _, x := range xs {
			w := x.Shape[dim] * inner
			if x.RequiresGrad {
				g := x.grad()
				for o := 0; o < outer; o++ {
					kernels.Axpy(1, out.Grad[o*rowOut+off:o*rowOut+off+w], g[o*w:(o+1)*w])
				}
			}
			off += w
		}
	}, xs...)
}
