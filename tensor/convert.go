package tensor

import (
	"fmt"
	"slices"

	"github.com/popi-go/popi/kernels"
)

// F32 returns the elements of an F32 tensor in row-major order: the shared
// storage window when t is contiguous (writes are visible in t), otherwise a
// fresh copy. Half tensors are widened into a new slice.
func (t *Tensor) F32() []float32 {
	if t.dtype != F32 {
		return t.To(F32).f32
	}
	if t.IsContiguous() {
		return t.f32[t.offset : t.offset+t.numel()]
	}
	return t.Clone().f32
}

// U16 returns the 16-bit elements of a BF16/F16 tensor in row-major order
// (shared window when contiguous, else a copy). It panics for F32 tensors;
// use To first.
func (t *Tensor) U16() []uint16 {
	if !t.dtype.IsHalf() {
		panic("tensor: U16 of a " + t.dtype.String() + " tensor")
	}
	if t.IsContiguous() {
		return t.u16[t.offset : t.offset+t.numel()]
	}
	return t.Clone().u16
}

// To converts to dtype dt (round to nearest even when narrowing). The result
// is a new contiguous tensor, or t itself when it already has dtype dt.
func (t *Tensor) To(dt DType) *Tensor {
	if t.dtype == dt {
		return t
	}
	c := newTensor(dt, t.shape...)
	switch {
	case t.dtype == F32:
		dt.FromF32(c.u16, t.F32())
	case dt == F32:
		t.dtype.ToF32(c.f32, t.U16())
	default: // BF16 <-> F16 via f32
		return t.To(F32).To(dt)
	}
	return c
}

// AddFrom accumulates src's elements into t (t += src, same shape; t must be
// F32, src any dtype and layout).
func (t *Tensor) AddFrom(src *Tensor) {
	if !slices.Equal(t.shape, src.shape) {
		panic(fmt.Sprintf("tensor: AddFrom shape %v into shape %v", src.shape, t.shape))
	}
	if t.dtype != F32 {
		panic("tensor: AddFrom into a " + t.dtype.String() + " tensor")
	}
	s := src.To(F32).F32()
	if t.IsContiguous() {
		kernels.Axpy(1, s, t.f32[t.offset:t.offset+len(s)])
		return
	}
	t.forEach(func(i, p int) { t.f32[p] += s[i] })
}
