package kernels

// gemmPath is a path's GEMM: the blocked driver's micro-kernel and blocking
// (f32), its GEMV kernels (gemv), and, where the CPU has one, the bf16
// dot-product variant of the driver (bf16Dot) that SgemmHalf may use.
type gemmPath struct {
	f32     *gemmArch
	gemv    *gemvArch
	bf16Dot *gemmArch
}

// sgemm is Sgemm on path p: validation, then GEMV for m == 1 (or n == 1),
// the few-rows kernels for small m, else the blocked driver.
func (p *gemmPath) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ar, ga := p.f32, p.gemv
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	bs := bSource{f: b, trans: transB, ld: ldb}
	if m == 1 {
		gemvRun(ga, transA, n, k, alpha, a, lda, bs, beta, c)
		return
	}
	if n == 1 {
		gemvColumn(ga, transA, transB, m, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if useSmallM(ga, transB, m, k, false) {
		gemvSmallM(ga, transA, m, n, k, alpha, a, lda, bs, beta, c, ldc)
		return
	}
	sgemmBlocked(ar, transA, m, n, k, alpha, a, lda, bs, beta, c, ldc)
}

// gemvColumn is the n == 1 case as a GEMV on the transposed problem:
// C^T (1×m) = op(B)^T (1×k) * op(A)^T, so A plays the weights.
func gemvColumn(ga *gemvArch, transA, transB bool, m, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	bsA := bSource{f: a, trans: !transA, ld: lda}
	if ldc == 1 {
		gemvRun(ga, !transB, m, k, alpha, b, ldb, bsA, beta, c)
		return
	}
	tb := getBuf(m)
	defer putBuf(tb)
	out := tb.s
	if beta != 0 {
		for i := range out {
			out[i] = c[i*ldc]
		}
	}
	gemvRun(ga, !transB, m, k, alpha, b, ldb, bsA, beta, out)
	for i, v := range out {
		c[i*ldc] = v
	}
}

// sgemmHalf is SgemmHalf on path p; p.bf16Dot, when non-nil, serves
// kind == BF16 with allowBF16Dot.
func (p *gemmPath) sgemmHalf(kind Half, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, allowBF16Dot bool) {
	ar, ga, dot := p.f32, p.gemv, p.bf16Dot
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	checkHalf(kind)
	bs := bSource{half: true, h: b, kind: kind, trans: transB, ld: ldb}
	if m == 1 {
		gemvRun(ga, transA, n, k, alpha, a, lda, bs, beta, c)
		return
	}
	if useSmallM(ga, transB, m, k, dot != nil && allowBF16Dot && kind == BF16) {
		gemvSmallM(ga, transA, m, n, k, alpha, a, lda, bs, beta, c, ldc)
		return
	}
	if dot != nil && allowBF16Dot && kind == BF16 {
		sgemmBlocked(dot, transA, m, n, k, alpha, a, lda, bs, beta, c, ldc)
		return
	}
	sgemmBlocked(ar, transA, m, n, k, alpha, a, lda, bs, beta, c, ldc)
}
