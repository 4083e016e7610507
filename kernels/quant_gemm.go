package kernels

import (
	"fmt"
	"sync"
	"unsafe"
)

// quantKernels are a path's quantized-weight kernels, indexed by QType.
type quantKernels struct {
	// rows: dot products of weight rows with a quantized activation row.
	rows [nQTypes]qRowsFunc
	// dequant widens whole blocks: len(dst) values from src, exactly as
	// DequantizeRow (bit for bit).
	dequant [nQTypes]func(dst []float32, src []byte)
}

var quantGo = quantKernels{
	rows: [nQTypes]qRowsFunc{Q8_0: qRowsGo, Q4_0: qRowsGo, Q4_K: qRowsGo, Q6_K: qRowsGo},
	dequant: [nQTypes]func([]float32, []byte){
		Q8_0: func(d []float32, s []byte) { DequantizeRow(Q8_0, d, s) },
		Q4_0: func(d []float32, s []byte) { DequantizeRow(Q4_0, d, s) },
		Q4_K: func(d []float32, s []byte) { DequantizeRow(Q4_K, d, s) },
		Q6_K: func(d []float32, s []byte) { DequantizeRow(Q6_K, d, s) },
	},
}

const (
	// qIntRowsMax: up to this many rows of A take the integer dot products;
	// more rows dequantize panels of W for the blocked GEMM.
	qIntRowsMax = 4
	// qRowBlock: weight rows per row-kernel call (outputs kept on the stack).
	qRowBlock = 64
	// qPanelRows: weight rows dequantized per GEMM panel.
	qPanelRows = 512
	// qSerialBytes: below this many weight bytes a call stays on one core.
	qSerialBytes = 1 << 16
)

// QGemm computes C = A·Wᵀ + beta·C for quantized weights: A is m×k float32
// (row i at a[i*lda:]), W is n rows of k values in format t (one of Q8_0,
// Q4_0, Q4_K, Q6_K; row j at w[j*t.RowBytes(k):]), C is m×n (row i at
// c[i*ldc:]); with beta == 0 C is not read.
//
// Up to qIntRowsMax rows of A (decode) are each quantized to 8 bits in t's
// activation format (Q8_0 or Q8_K, as llama.cpp does) and meet the weight
// rows in integer dot products. More rows (prefill) dequantize W a panel
// at a time, to float32, or with allowBF16Dot on a CPU with AVX512_BF16 to
// bf16 for the bf16 dot-product GEMM, and run the blocked GEMM.
func QGemm(t QType, m, n, k int, a []float32, lda int, w []byte, beta float32, c []float32, ldc int, allowBF16Dot bool) {
	checkQGemm(t, m, n, k, len(a), lda, len(w), len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if m <= qIntRowsMax {
		qGemmInt(t, m, n, k, a, lda, w, beta, c, ldc)
		return
	}
	qGemmPanels(t, m, n, k, a, lda, w, beta, c, ldc, allowBF16Dot)
}

func checkQGemm(t QType, m, n, k, na, lda, nw, nc, ldc int) {
	if t != Q8_0 && t != Q4_0 && t != Q4_K && t != Q6_K {
		panic(fmt.Sprintf("kernels: QGemm: %v is not a weight format (Q8_0, Q4_0, Q4_K, Q6_K)", t))
	}
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: QGemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	if k%t.BlockSize() != 0 {
		panic(fmt.Sprintf("kernels: QGemm: k=%d is not a multiple of the %s block size %d", k, t, t.BlockSize()))
	}
	if m == 0 || n == 0 {
		return
	}
	if lda < k || ldc < n {
		panic(fmt.Sprintf("kernels: QGemm: lda=%d < k=%d or ldc=%d < n=%d", lda, k, ldc, n))
	}
	if na < (m-1)*lda+k || nc < (m-1)*ldc+n || nw < n*t.RowBytes(k) {
		panic(fmt.Sprintf("kernels: QGemm: slices too short for m=%d n=%d k=%d (len a=%d, w=%d, c=%d)", m, n, k, na, nw, nc))
	}
}

// qIntCall is one integer-path call; fn is bound once (pooled).
type qIntCall struct {
	t        QType
	m, nb    int
	rb       int // bytes per weight row
	w        []byte
	acts     [qIntRowsMax]qAct
	beta     float32
	c        []float32
	ldc      int
	rowsFunc qRowsFunc
	fn       func(lo, hi int)
}

var qIntPool = sync.Pool{New: func() any {
	q := new(qIntCall)
	q.fn = q.run
	return q
}}

func qGemmInt(t QType, m, n, k int, a []float32, lda int, w []byte, beta float32, c []float32, ldc int) {
	q := qIntPool.Get().(*qIntCall)
	q.t, q.m, q.nb, q.rb, q.w, q.beta, q.c, q.ldc = t, m, k/t.BlockSize(), t.RowBytes(k), w, beta, c, ldc
	q.rowsFunc = kern.quant.rows[t]
	for i := range m {
		q.acts[i].resize(t, k)
		q.acts[i].quantize(t, a[i*lda:i*lda+k])
	}
	if Workers() > 1 && n*q.rb >= qSerialBytes {
		ParallelFor(n, 16, q.fn)
	} else {
		q.run(0, n)
	}
	q.w, q.c = nil, nil
	qIntPool.Put(q)
}

// run computes columns [lo, hi) of every row of C.
func (q *qIntCall) run(lo, hi int) {
	var out [qRowBlock]float32
	for j0 := lo; j0 < hi; j0 += qRowBlock {
		cnt := min(qRowBlock, hi-j0)
		for i := range q.m {
			q.rowsFunc(q.w[j0*q.rb:], q.rb, cnt, q.nb, &q.acts[i], out[:cnt])
			gemvStore(q.c[i*q.ldc+j0:i*q.ldc+j0+cnt], out[:cnt], 1, q.beta)
		}
	}
}

// qPanelCall dequantizes rows [j0, j0+cnt) of W into a panel.
type qPanelCall struct {
	t      QType
	k, rb  int
	w      []byte
	f32    []float32
	bf16   []uint16
	j0     int
	fn     func(lo, hi int)
	deq    func([]float32, []byte)
	toBF16 bool
}

var qPanelPool = sync.Pool{New: func() any {
	q := new(qPanelCall)
	q.fn = q.run
	return q
}}

func (q *qPanelCall) run(lo, hi int) {
	for r := lo; r < hi; r++ {
		src := q.w[(q.j0+r)*q.rb : (q.j0+r+1)*q.rb]
		if !q.toBF16 {
			q.deq(q.f32[r*q.k:(r+1)*q.k], src)
			continue
		}
		// dequantize into this row's tail of the f32 staging area, then round
		tmp := q.f32[r*q.k : (r+1)*q.k]
		q.deq(tmp, src)
		F32ToBF16(q.bf16[r*q.k:(r+1)*q.k], tmp)
	}
}

func qGemmPanels(t QType, m, n, k int, a []float32, lda int, w []byte, beta float32, c []float32, ldc int, allowBF16Dot bool) {
	q := qPanelPool.Get().(*qPanelCall)
	q.t, q.k, q.rb, q.w = t, k, t.RowBytes(k), w
	q.deq = kern.quant.dequant[t]
	q.toBF16 = allowBF16Dot && kern.gemm.bf16Dot != nil
	rows := min(n, qPanelRows)
	fb := getBuf(rows * k)
	q.f32 = fb.s
	var hb *f32Buf
	if q.toBF16 {
		hb = getBuf((rows*k + 1) / 2)
		q.bf16 = unsafe.Slice((*uint16)(unsafe.Pointer(&hb.s[0])), rows*k)
	}
	for j0 := 0; j0 < n; j0 += rows {
		cnt := min(rows, n-j0)
		q.j0 = j0
		ParallelFor(cnt, 8, q.fn)
		if q.toBF16 {
			SgemmHalf(BF16, false, true, m, cnt, k, 1, a, lda, q.bf16[:cnt*k], k, beta, c[j0:], ldc, true)
		} else {
			Sgemm(false, true, m, cnt, k, 1, a, lda, q.f32[:cnt*k], k, beta, c[j0:], ldc)
		}
	}
	putBuf(fb)
	if hb != nil {
		putBuf(hb)
	}
	q.w, q.f32, q.bf16 = nil, nil, nil
	qPanelPool.Put(q)
}

// QDequantizeRows widens rows [r0, r0+rows) of W (format t, k values per
// row) into dst (rows*k floats) with the active path's dequantizer (the
// same values as DequantizeRow), spread over the workers.
func QDequantizeRows(t QType, k int, w []byte, r0, rows int, dst []float32) {
	checkQ("QDequantizeRows", t, k, k, t.RowBytes(k))
	rb := t.RowBytes(k)
	if r0 < 0 || rows < 0 || len(w) < (r0+rows)*rb || len(dst) < rows*k {
		panic(fmt.Sprintf("kernels: QDequantizeRows: rows [%d,%d) of %d bytes each, have %d bytes and %d floats", r0, r0+rows, rb, len(w), len(dst)))
	}
	deq := kern.quant.dequant[t]
	fn := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			deq(dst[r*k:(r+1)*k], w[(r0+r)*rb:(r0+r+1)*rb])
		}
	}
	if rows*rb < qSerialBytes {
		fn(0, rows)
		return
	}
	ParallelFor(rows, 8, fn)
}
