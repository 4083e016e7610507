package tensor

import (
	"fmt"
	"sort"
)

func (t *Tensor) view(shape Shape, strides []int, offset int) *Tensor {
	return &Tensor{dtype: t.dtype, shape: shape, strides: strides, offset: offset, f32: t.f32, u16: t.u16}
}

// Reshape returns a tensor of the given shape with the same elements in
// row-major order. One dimension may be -1 (inferred). It is a view when t
// is contiguous and a copy otherwise.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := inferShape(t.shape, shape)
	if !t.IsContiguous() {
		t = t.Contiguous()
	}
	return t.view(s, ContiguousStrides(s), t.offset)
}

// View is Reshape that never copies: it panics if t is not contiguous.
func (t *Tensor) View(shape ...int) *Tensor {
	if !t.IsContiguous() {
		panic(fmt.Sprintf("tensor: View of non-contiguous tensor of shape %v strides %v", t.shape, t.strides))
	}
	return t.Reshape(shape...)
}

func inferShape(from Shape, shape []int) Shape {
	s := Shape(shape).Clone()
	infer := -1
	known := 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: cannot reshape %v to %v", from, Shape(shape)))
		default:
			known *= d
		}
	}
	n := from.Numel()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			panic(fmt.Sprintf("tensor: cannot reshape %v to %v", from, Shape(shape)))
		}
		s[infer] = n / known
	}
	if s.Numel() != n {
		panic(fmt.Sprintf("tensor: cannot reshape %v to %v", from, Shape(shape)))
	}
	return s
}

// Transpose swaps dimensions d0 and d1 (negative counts from the end),
// without copying.
func (t *Tensor) Transpose(d0, d1 int) *Tensor {
	a, b := t.axis(d0), t.axis(d1)
	s, st := t.shape.Clone(), append([]int(nil), t.strides...)
	s[a], s[b] = s[b], s[a]
	st[a], st[b] = st[b], st[a]
	return t.view(s, st, t.offset)
}

// T is Transpose(-2, -1).
func (t *Tensor) T() *Tensor { return t.Transpose(-2, -1) }

// Permute reorders dimensions: dimension i of the result is dimension
// perm[i] of t. No copy.
func (t *Tensor) Permute(perm ...int) *Tensor {
	if len(perm) != len(t.shape) {
		panic(fmt.Sprintf("tensor: permutation %v for shape %v", perm, t.shape))
	}
	chk := append([]int(nil), perm...)
	sort.Ints(chk)
	for i, v := range chk {
		if v != i {
			panic(fmt.Sprintf("tensor: %v is not a permutation of the dimensions of %v", perm, t.shape))
		}
	}
	s := make(Shape, len(perm))
	st := make([]int, len(perm))
	for i, p := range perm {
		s[i], st[i] = t.shape[p], t.strides[p]
	}
	return t.view(s, st, t.offset)
}

// Narrow keeps elements start..start+length-1 of dimension dim. No copy.
func (t *Tensor) Narrow(dim, start, length int) *Tensor {
	a := t.axis(dim)
	if start < 0 || length < 0 || start+length > t.shape[a] {
		panic(fmt.Sprintf("tensor: Narrow(dim %d, start %d, length %d) out of range for shape %v", dim, start, length, t.shape))
	}
	s := t.shape.Clone()
	s[a] = length
	return t.view(s, append([]int(nil), t.strides...), t.offset+start*t.strides[a])
}

// Slice keeps elements [start, end) of dimension dim. No copy.
func (t *Tensor) Slice(dim, start, end int) *Tensor {
	if end < start {
		panic(fmt.Sprintf("tensor: Slice(dim %d, %d, %d) with end < start on shape %v", dim, start, end, t.shape))
	}
	return t.Narrow(dim, start, end-start)
}

// Select removes dimension dim, keeping index i of it. No copy.
func (t *Tensor) Select(dim, i int) *Tensor {
	a := t.axis(dim)
	n := t.Narrow(a, i, 1)
	s := append(n.shape[:a:a].Clone(), n.shape[a+1:]...)
	st := append(append([]int(nil), n.strides[:a]...), n.strides[a+1:]...)
	return t.view(s, st, n.offset)
}

// Unsqueeze inserts a size-1 dimension at position dim (0..Dims()).
func (t *Tensor) Unsqueeze(dim int) *Tensor {
	if dim < 0 {
		dim += len(t.shape) + 1
	}
	if dim < 0 || dim > len(t.shape) {
		panic(fmt.Sprintf("tensor: Unsqueeze(%d) on shape %v", dim, t.shape))
	}
	s := append(append(t.shape[:dim:dim].Clone(), 1), t.shape[dim:]...)
	stride := 1
	if dim < len(t.shape) {
		stride = t.strides[dim] * t.shape[dim]
	}
	st := append(append(append([]int(nil), t.strides[:dim]...), stride), t.strides[dim:]...)
	return t.view(s, st, t.offset)
}

// forEach calls fn with the storage index of every element in row-major
// order of t's shape.
func (t *Tensor) forEach(fn func(i, p int)) {
	n := t.Numel()
	if n == 0 {
		return
	}
	nd := len(t.shape)
	if nd == 0 {
		fn(0, t.offset)
		return
	}
	idx := make([]int, nd)
	p := t.offset
	last := nd - 1
	inner, istride := t.shape[last], t.strides[last]
	for i := 0; i < n; {
		q := p
		for j := 0; j < inner; j++ {
			fn(i, q)
			i++
			q += istride
		}
		// advance the outer index
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			p += t.strides[d]
			if idx[d] < t.shape[d] {
				break
			}
			p -= idx[d] * t.strides[d]
			idx[d] = 0
		}
	}
}

// Contiguous returns t if it is contiguous and starts at its storage's
// beginning with no extra elements, else a dense row-major copy.
func (t *Tensor) Contiguous() *Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// Clone returns a dense row-major copy with its own storage.
func (t *Tensor) Clone() *Tensor {
	c := New(t.dtype, t.shape...)
	if t.dtype == F32 {
		if t.IsContiguous() {
			copy(c.f32, t.f32[t.offset:t.offset+t.Numel()])
		} else {
			t.forEach(func(i, p int) { c.f32[i] = t.f32[p] })
		}
	} else {
		if t.IsContiguous() {
			copy(c.u16, t.u16[t.offset:t.offset+t.Numel()])
		} else {
			t.forEach(func(i, p int) { c.u16[i] = t.u16[p] })
		}
	}
	return c
}
