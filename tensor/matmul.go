package tensor

import (
	"fmt"
	"sync/atomic"

	"github.com/popi-go/popi/kernels"
)

// matLayout describes how a 2-D strided matrix maps onto a GEMM operand.
// ok is false when the view is neither row-major nor transposed row-major
// with unit stride, and must be copied.
func matLayout(rows, cols, rs, cs int) (trans bool, ld int, ok bool) {
	switch {
	case rows <= 1 && cols <= 1:
		return false, max(cols, 1), true
	case (cs == 1 || cols == 1) && (rs >= cols || rows == 1):
		ld = rs
		if rows == 1 {
			ld = max(cols, 1)
		}
		return false, ld, true
	case (rs == 1 || rows == 1) && (cs >= rows || cols == 1):
		ld = cs
		if cols == 1 {
			ld = max(rows, 1)
		}
		return true, ld, true
	}
	return false, 0, false
}

// MatMul multiplies a [..., m, k] by b [..., k, n] giving a new F32 tensor
// [..., m, n]. Batch dimensions broadcast (NumPy rules); a 2-D b is shared by
// every batch. a is F32 (a half a is widened first); b may be F32, BF16 or
// F16 (kernels.SgemmHalf widens it on the fly). Transposed views are passed to
// the kernels as transposed operands without copying.
func MatMul(a, b *Tensor) *Tensor {
	if a.Dims() < 2 || b.Dims() < 2 {
		panic(fmt.Sprintf("tensor: MatMul needs at least 2-D operands, got %v and %v", a.shape, b.shape))
	}
	m, k := a.Dim(-2), a.Dim(-1)
	k2, n := b.Dim(-2), b.Dim(-1)
	if k != k2 {
		panic(fmt.Sprintf("tensor: MatMul inner dimensions differ: %v x %v", a.shape, b.shape))
	}
	batch, ok := broadcastShapes(a.shape[:a.Dims()-2], b.shape[:b.Dims()-2])
	if !ok {
		panic(fmt.Sprintf("tensor: MatMul batch dimensions do not broadcast: %v x %v", a.shape, b.shape))
	}
	if a.dtype != F32 {
		a = a.To(F32)
	}
	outShape := append(batch.Clone(), m, n)
	c := Zeros(outShape...)
	nb := batch.Numel()
	if nb == 0 || m == 0 || n == 0 {
		return c
	}
	// A contiguous a with a shared 2-D b folds the batch into the rows.
	if b.Dims() == 2 && a.IsContiguous() && len(batch) == a.Dims()-2 {
		gemm(a.Reshape(nb*m, k), b, c.f32, n)
		return c
	}
	aStr := broadcastStrides(a, batch)
	bStr := broadcastStrides(b, batch)
	idx := make([]int, len(batch))
	for bi := 0; bi < nb; bi++ {
		ao, bo := a.offset, b.offset
		for d, v := range idx {
			ao += v * aStr[d]
			bo += v * bStr[d]
		}
		am := a.view(Shape{m, k}, a.strides[a.Dims()-2:], ao)
		bm := b.view(Shape{k, n}, b.strides[b.Dims()-2:], bo)
		gemm(am, bm, c.f32[bi*m*n:(bi+1)*m*n], n)
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < batch[d] {
				break
			}
			idx[d] = 0
		}
	}
	return c
}

// operandCopies counts operands gemm had to copy (tests check that plain
// and transposed views are passed through without one).
var operandCopies atomic.Int64

// gemm computes c (m x n, leading dim ldc) = a (m x k, F32) * b (k x n).
func gemm(a, b *Tensor, c []float32, ldc int) {
	m, k := a.shape[0], a.shape[1]
	n := b.shape[1]
	ta, lda, ok := matLayout(m, k, a.strides[0], a.strides[1])
	if !ok {
		operandCopies.Add(1)
		a = a.Clone()
		ta, lda = false, k
	}
	tb, ldb, ok := matLayout(k, n, b.strides[0], b.strides[1])
	if !ok {
		operandCopies.Add(1)
		b = b.Clone()
		tb, ldb = false, n
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	if b.dtype == F32 {
		kernels.Sgemm(ta, tb, m, n, k, 1, a.f32[a.offset:], lda, b.f32[b.offset:], ldb, 0, c, ldc)
	} else {
		kernels.SgemmHalf(b.dtype.Half(), ta, tb, m, n, k, 1, a.f32[a.offset:], lda, b.u16[b.offset:], ldb, 0, c, ldc, false)
	}
}

// broadcastShapes returns the NumPy broadcast of two shapes.
func broadcastShapes(a, b Shape) (Shape, bool) {
	n := max(len(a), len(b))
	out := make(Shape, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, false
		}
	}
	return out, true
}

// TryBroadcastShapes returns the NumPy broadcast of a and b and whether
// they broadcast at all.
func TryBroadcastShapes(a, b Shape) (Shape, bool) { return broadcastShapes(a, b) }

// BroadcastShapes returns the NumPy broadcast of a and b, or panics naming
// both shapes.
func BroadcastShapes(a, b Shape) Shape {
	s, ok := broadcastShapes(a, b)
	if !ok {
		panic(fmt.Sprintf("tensor: shapes %v and %v do not broadcast", a, b))
	}
	return s
}

// broadcastStrides returns the strides of t's batch dimensions (all but the
// last two) aligned to batch, 0 for broadcast dimensions.
func broadcastStrides(t *Tensor, batch Shape) []int {
	nb := t.Dims() - 2
	st := make([]int, len(batch))
	for i := range batch {
		j := nb - len(batch) + i
		if j >= 0 && t.shape[j] != 1 {
			st[i] = t.strides[j]
		}
	}
	return st
}
