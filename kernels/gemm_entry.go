package kernels

// Entry points installed into sgemm/sgemmHalf by the per-arch dispatch
// files: validation, then GEMV for m == 1, else the blocked driver.

type sgemmFunc = func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

type sgemmHalfFunc = func(kind Half, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, allowBF16Dot bool)

func makeSgemm(ar *gemmArch, ga *gemvArch) sgemmFunc {
	return func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
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

// makeSgemmHalf builds SgemmHalf for a path. dot, when non-nil, is the
// bf16 dot-product GEMM used for kind == BF16 with allowBF16Dot.
func makeSgemmHalf(ar *gemmArch, ga *gemvArch, dot *gemmArch) sgemmHalfFunc {
	return func(kind Half, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, allowBF16Dot bool) {
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
}
