package kernels

// sgemmGeneric is the portable reference for Sgemm: a plain triple loop in
// float32 with the same argument conventions.
func sgemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	at := func(i, p int) float32 {
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	bt := func(p, j int) float32 {
		if transB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
			}
			cij := &c[i*ldc+j]
			if beta == 0 {
				*cij = alpha * s
			} else {
				*cij = alpha*s + beta**cij
			}
		}
	}
}

// sgemmHalfGeneric is the portable reference for SgemmHalf (the f32 path:
// B widened exactly, f32 arithmetic).
func sgemmHalfGeneric(kind Half, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	checkHalf(kind)
	rows, cols := k, n
	if transB {
		rows, cols = n, k
	}
	if m == 0 || n == 0 {
		return
	}
	wide := make([]float32, rows*cols)
	row := make([]float32, cols)
	for r := 0; r < rows; r++ {
		src := b[r*ldb : r*ldb+cols]
		if kind == BF16 {
			bf16ToF32Generic(row, src)
		} else {
			f16ToF32Generic(row, src)
		}
		copy(wide[r*cols:], row)
	}
	sgemmGeneric(transA, transB, m, n, k, alpha, a, lda, wide, cols, beta, c, ldc)
}

// checkHalf panics with a clear message for an unknown 16-bit format.
func checkHalf(kind Half) {
	if kind != BF16 && kind != F16 {
		panic("kernels: SgemmHalf: unknown half-precision kind")
	}
}

// checkGemm panics with a clear message when the slices are too short for
// the described matrices (a programmer error).
func checkGemm(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("kernels: negative gemm dimension")
	}
	need := func(name string, rows, cols, ld, have int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic("kernels: gemm leading dimension of " + name + " smaller than its row length")
		}
		if have < (rows-1)*ld+cols {
			panic("kernels: gemm slice " + name + " too short")
		}
	}
	if transA {
		need("A", k, m, lda, la)
	} else {
		need("A", m, k, lda, la)
	}
	if transB {
		need("B", n, k, ldb, lb)
	} else {
		need("B", k, n, ldb, lb)
	}
	need("C", m, n, ldc, lc)
}
