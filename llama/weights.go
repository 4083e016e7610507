package llama

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
	"github.com/popi-go/popi/tensor"
)

// Matrix is a linear-layer weight in Hugging Face layout: Rows×Cols row-major
// ([out, in]), so y = x·Wᵀ. It holds float32 values (F32), raw 16-bit
// bfloat16/float16 bits (U16, with DType saying which) that the GEMM kernels
// widen on the fly, or llama.cpp blocks of a quantized format (Q: DType
// Q8_0, Q4_0, Q4_K or Q6_K, each row Cols/BlockSize blocks, the bytes GGUF
// stores) that kernels.QGemm multiplies; exactly one of F32, U16 and Q is set.
type Matrix struct {
	Rows, Cols int
	DType      tensor.DType // tensor.F32, BF16, F16, Q8_0, Q4_0, Q4_K or Q6_K
	F32        []float32
	U16        []uint16
	Q          []byte
}

// rowBytes is the size of one row of a quantized matrix.
func (w *Matrix) rowBytes() int { return int(w.DType.Bytes(int64(w.Cols))) }

// NewMatrixF32 wraps f32 data of shape rows×cols.
func NewMatrixF32(rows, cols int, data []float32) Matrix {
	return Matrix{Rows: rows, Cols: cols, DType: tensor.F32, F32: data}
}

// MulT computes y = x·Wᵀ + beta·y for m rows of x (m×Cols, packed) into y
// (m×Rows, packed). allowBF16Dot lets bf16 weights use the bf16 dot-product
// instructions (activations rounded to bf16).
func (w *Matrix) MulT(m int, x []float32, beta float32, y []float32, allowBF16Dot bool) {
	w.mulT(m, x, beta, y, w.Rows, allowBF16Dot)
}

// mulT is MulT writing row i of the result at y[i*ldy:].
func (w *Matrix) mulT(m int, x []float32, beta float32, y []float32, ldy int, allowBF16Dot bool) {
	if m == 0 {
		return
	}
	if w.DType == tensor.F32 {
		kernels.Sgemm(false, true, m, w.Rows, w.Cols, 1, x, w.Cols, w.F32, w.Cols, beta, y, ldy)
		return
	}
	if w.DType.IsQuant() {
		kernels.QGemm(w.DType.Quant(), m, w.Rows, w.Cols, x, w.Cols, w.Q, beta, y, ldy, allowBF16Dot)
		return
	}
	kernels.SgemmHalf(w.DType.Half(), false, true, m, w.Rows, w.Cols, 1, x, w.Cols, w.U16, w.Cols, beta, y, ldy, allowBF16Dot)
}

// Row widens row i into dst (len Cols).
func (w *Matrix) Row(i int, dst []float32) {
	if w.DType == tensor.F32 {
		copy(dst, w.F32[i*w.Cols:(i+1)*w.Cols])
		return
	}
	if w.DType.IsQuant() {
		rb := w.rowBytes()
		kernels.DequantizeRow(w.DType.Quant(), dst[:w.Cols], w.Q[i*rb:(i+1)*rb])
		return
	}
	w.DType.ToF32(dst[:w.Cols], w.U16[i*w.Cols:(i+1)*w.Cols])
}

// ToF32 returns the weights as a new float32 slice.
func (w *Matrix) ToF32() []float32 {
	out := make([]float32, w.Rows*w.Cols)
	if w.DType == tensor.F32 {
		copy(out, w.F32)
		return out
	}
	if w.DType.IsQuant() {
		kernels.QDequantizeRows(w.DType.Quant(), w.Cols, w.Q, 0, w.Rows, out)
		return out
	}
	for i := 0; i < w.Rows; i++ {
		w.Row(i, out[i*w.Cols:(i+1)*w.Cols])
	}
	return out
}

// Convert returns a copy of w stored as dt (F32, BF16 or F16; 16-bit
// targets round to nearest even; Q8_0, Q4_0, Q4_K or Q6_K with llama.cpp's
// reference quantizer, row by row, which needs Cols a multiple of the block
// size).
func (w *Matrix) Convert(dt tensor.DType) (Matrix, error) {
	if dt == w.DType {
		c := *w
		c.F32 = append([]float32(nil), w.F32...)
		c.U16 = append([]uint16(nil), w.U16...)
		c.Q = append([]byte(nil), w.Q...)
		return c, nil
	}
	if isWeightQuant(dt) {
		if w.Cols%dt.BlockSize() != 0 {
			return Matrix{}, fmt.Errorf("llama: cannot store %d columns as %v (blocks of %d)", w.Cols, dt, dt.BlockSize())
		}
		out := Matrix{Rows: w.Rows, Cols: w.Cols, DType: dt, Q: newByteWeights(int(dt.Bytes(int64(w.Rows) * int64(w.Cols))))}
		rb := out.rowBytes()
		kernels.ParallelFor(w.Rows, 16, func(lo, hi int) {
			row := make([]float32, w.Cols)
			for i := lo; i < hi; i++ {
				w.Row(i, row)
				kernels.QuantizeRow(dt.Quant(), out.Q[i*rb:(i+1)*rb], row)
			}
		})
		return out, nil
	}
	f := w.F32
	if w.DType != tensor.F32 {
		f = w.ToF32()
	}
	out := Matrix{Rows: w.Rows, Cols: w.Cols, DType: dt}
	switch dt {
	case tensor.F32:
		out.F32 = f
		if w.DType == tensor.F32 {
			out.F32 = append([]float32(nil), f...)
		}
	case tensor.BF16, tensor.F16:
		out.U16 = newU16Weights(len(f))
		dt.FromF32(out.U16, f)
	default:
		return Matrix{}, fmt.Errorf("llama: cannot store weights as %v", dt)
	}
	return out, nil
}

// Bytes reports the memory the weight data occupies.
func (w *Matrix) Bytes() int64 { return int64(len(w.F32))*4 + int64(len(w.U16))*2 + int64(len(w.Q)) }

// isWeightQuant reports whether dt is a quantized format a Matrix can hold.
func isWeightQuant(dt tensor.DType) bool {
	return dt == tensor.Q8_0 || dt == tensor.Q4_0 || dt == tensor.Q4_K || dt == tensor.Q6_K
}
