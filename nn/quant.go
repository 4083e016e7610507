package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// Frozen quantized weights (QLoRA's base): a matrix kept in llama.cpp's
// block format (Q8_0, Q4_0, Q4_K, Q6_K) enters Linear, LinearStack,
// LinearLoRA, LinearLogProbs and Embedding without being widened in
// memory. The forward product x·Wᵀ is kernels.QGemm (weight panels
// dequantized to float32 for the blocked GEMM; below qGemmIntRows rows the
// same panel path in this file, so every row count computes with the same
// dequantized weights and float32 activations), and backward's dx = dy·W
// dequantizes W a panel of rows at a time and accumulates each panel's
// product, so at most one panel of float32 weights exists at once.

// quantWeight is a frozen [rows, cols] matrix in a quantized block format
// (row j at data[j*t.RowBytes(cols):]).
type quantWeight struct {
	t          kernels.QType
	data       []byte
	rows, cols int
}

// QuantConst wraps a frozen quantized matrix [rows, cols] of format t
// (data not copied: row j at data[j*t.RowBytes(cols):]) as a constant.
// cols must be a multiple of t's block size and data hold every row.
func QuantConst(t kernels.QType, data []byte, rows, cols int) *Value {
	if t != kernels.Q8_0 && t != kernels.Q4_0 && t != kernels.Q4_K && t != kernels.Q6_K {
		panic(fmt.Sprintf("nn: QuantConst of %v (want Q8_0, Q4_0, Q4_K or Q6_K)", t))
	}
	if rows < 0 || cols < 0 || cols%t.BlockSize() != 0 || len(data) < rows*t.RowBytes(cols) {
		panic(fmt.Sprintf("nn: QuantConst of a [%d, %d] %v matrix from %d bytes (columns in blocks of %d)", rows, cols, t, len(data), t.BlockSize()))
	}
	return &Value{Shape: []int{rows, cols}, q: &quantWeight{t: t, data: data, rows: rows, cols: cols}, op: "const"}
}

// IsQuant reports whether v is a quantized constant (QuantConst).
func (v *Value) IsQuant() bool { return v.q != nil }

// qGemmIntRows is kernels.QGemm's integer-path limit: calls with at most
// this many rows take the panel path here instead.
const qGemmIntRows = 4

// qPanelElems bounds the float32 weights one panel holds (16 MB).
const qPanelElems = 4 << 20

// panelRows is the number of weight rows per dequantized panel.
func (q *quantWeight) panelRows() int { return max(8, min(q.rows, qPanelElems/max(q.cols, 1))) }

// mulT computes c = x·Wᵀ + beta·c for m rows of x (row stride ldx) into c
// (row stride ldc), over weight rows [r0, r0+n).
func (q *quantWeight) mulT(m int, x []float32, ldx int, r0, n int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	rb := q.t.RowBytes(q.cols)
	w := q.data[r0*rb : (r0+n)*rb]
	if m > qGemmIntRows {
		kernels.QGemm(q.t, m, n, q.cols, x, ldx, w, beta, c, ldc, false)
		return
	}
	rows := min(n, q.panelRows())
	buf := getBufDirty(rows * q.cols)
	for j0 := 0; j0 < n; j0 += rows {
		cnt := min(rows, n-j0)
		kernels.QDequantizeRows(q.t, q.cols, w, j0, cnt, buf)
		kernels.Sgemm(false, true, m, cnt, q.cols, 1, x, ldx, buf, q.cols, beta, c[j0:], ldc)
	}
	putBuf(buf)
}

// mulDx computes dx = alpha·dy·W + beta·dx for m rows: dy [m, rows] (row
// stride ldy), dx [m, cols] (row stride ldx), one dequantized panel of W's
// rows at a time.
func (q *quantWeight) mulDx(m int, alpha float32, dy []float32, ldy int, beta float32, dx []float32, ldx int) {
	if m == 0 || q.cols == 0 {
		return
	}
	if q.rows == 0 {
		scaleRows(m, q.cols, beta, dx, ldx)
		return
	}
	rows := q.panelRows()
	buf := getBufDirty(rows * q.cols)
	for j0 := 0; j0 < q.rows; j0 += rows {
		cnt := min(rows, q.rows-j0)
		kernels.QDequantizeRows(q.t, q.cols, q.data, j0, cnt, buf)
		b := float32(1)
		if j0 == 0 {
			b = beta
		}
		kernels.Sgemm(false, false, m, q.cols, cnt, alpha, dy[j0:], ldy, buf, q.cols, b, dx, ldx)
	}
	putBuf(buf)
}

// f32 returns the whole matrix dequantized (a new slice).
func (q *quantWeight) f32() []float32 {
	out := make([]float32, q.rows*q.cols)
	if q.rows > 0 && q.cols > 0 {
		kernels.QDequantizeRows(q.t, q.cols, q.data, 0, q.rows, out)
	}
	return out
}

// row dequantizes row i into dst (len cols).
func (q *quantWeight) row(i int, dst []float32) {
	rb := q.t.RowBytes(q.cols)
	kernels.DequantizeRow(q.t, dst[:q.cols], q.data[i*rb:(i+1)*rb])
}

// scaleRows sets c = beta·c over an m×n block with row stride ldc.
func scaleRows(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		r := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(r)
		} else {
			kernels.Scale(beta, r)
		}
	}
}

// stackedQuantWeights returns the quantized weights as one matrix when
// they are all quantized in one format and stored back to back within the
// first one's capacity (the fused Q/K/V or gate/up of a quantized model),
// or nil.
func stackedQuantWeights(ws []*Value) *quantWeight {
	parts := make([][]byte, len(ws))
	rows := 0
	for i, w := range ws {
		if w.q == nil || w.q.t != ws[0].q.t || w.q.cols != ws[0].q.cols {
			return nil
		}
		parts[i] = w.q.data[:w.q.rows*w.q.t.RowBytes(w.q.cols)]
		rows += w.q.rows
	}
	whole := stacked(parts)
	if whole == nil {
		return nil
	}
	return &quantWeight{t: ws[0].q.t, data: whole, rows: rows, cols: ws[0].q.cols}
}
