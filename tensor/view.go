package tensor

import (
	"fmt"
	"slices"
)

func (t *Tensor) view(shape, strides []int, offset int) *Tensor {
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
	return t.view(s, contiguousStrides(s), t.offset)
}

func inferShape(from, shape []int) []int {
	s := append([]int(nil), shape...)
	infer := -1
	known := 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: cannot reshape %v to %v", from, shape))
		default:
			known *= d
		}
	}
	n := numel(from)
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			panic(fmt.Sprintf("tensor: cannot reshape %v to %v", from, shape))
		}
		s[infer] = n / known
	}
	if numel(s) != n {
		panic(fmt.Sprintf("tensor: cannot reshape %v to %v", from, shape))
	}
	return s
}

// Transpose swaps dimensions d0 and d1 (negative counts from the end),
// without copying.
func (t *Tensor) Transpose(d0, d1 int) *Tensor {
	a, b := t.axis(d0), t.axis(d1)
	s, st := slices.Clone(t.shape), slices.Clone(t.strides)
	s[a], s[b] = s[b], s[a]
	st[a], st[b] = st[b], st[a]
	return t.view(s, st, t.offset)
}

// Slice keeps elements [start, end) of dimension dim (negative counts from
// the end). No copy.
func (t *Tensor) Slice(dim, start, end int) *Tensor {
	a := t.axis(dim)
	if start < 0 || end < start || end > t.shape[a] {
		panic(fmt.Sprintf("tensor: Slice(dim %d, %d, %d) out of range for shape %v", dim, start, end, t.shape))
	}
	s := slices.Clone(t.shape)
	s[a] = end - start
	return t.view(s, slices.Clone(t.strides), t.offset+start*t.strides[a])
}

// forEach calls fn with the storage index of every element in row-major
// order of t's shape.
func (t *Tensor) forEach(fn func(i, p int)) {
	n := t.numel()
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

// Contiguous returns t if its elements are laid out densely in row-major
// order, else a dense row-major copy.
func (t *Tensor) Contiguous() *Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// Clone returns a dense row-major copy with its own storage.
func (t *Tensor) Clone() *Tensor {
	c := newTensor(t.dtype, t.shape...)
	n := t.numel()
	if t.dtype == F32 {
		if t.IsContiguous() {
			copy(c.f32, t.f32[t.offset:t.offset+n])
		} else {
			t.forEach(func(i, p int) { c.f32[i] = t.f32[p] })
		}
	} else {
		if t.IsContiguous() {
			copy(c.u16, t.u16[t.offset:t.offset+n])
		} else {
			t.forEach(func(i, p int) { c.u16[i] = t.u16[p] })
		}
	}
	return c
}
