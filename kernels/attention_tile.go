package kernels

// tileMulAddGeneric computes C[rows x cols] += A[rows x k] * B[k x cols]
// (row-major, leading dimensions in elements). It is the reference of the
// assembly tile kernels the tiled attention multiplies its blocks with.
func tileMulAddGeneric(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	checkTile(c, ldc, a, lda, b, ldb, rows, k, cols)
	for i := 0; i < rows; i++ {
		ci := c[i*ldc : i*ldc+cols]
		for p := 0; p < k; p++ {
			axpyGeneric(a[i*lda+p], b[p*ldb:p*ldb+cols], ci)
		}
	}
}

// checkTile panics with a clear message if a slice is too short for the
// blocks the tile kernels would touch (an internal programming error).
func checkTile(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	need := func(name string, s []float32, r, cl, ld int) {
		if r > 0 && cl > 0 && (ld < cl || len(s) < (r-1)*ld+cl) {
			panic("kernels: attention tile operand " + name + " too short")
		}
	}
	need("C", c, rows, cols, ldc)
	need("A", a, rows, k, lda)
	need("B", b, k, cols, ldb)
}

// tileMulAddTGeneric computes C[rows x cols] += Aᵀ·B where A is stored
// k x rows: C[i][j] += Σ_p A[p*lda+i] * B[p*ldb+j]. It is the reference
// of the transposed-A tile kernels (the attention backward's dV += Pᵀ·dO
// and dK += dSᵀ·Q, with P and dS kept row-major).
func tileMulAddTGeneric(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	checkTileT(c, ldc, a, lda, b, ldb, rows, k, cols)
	for p := 0; p < k; p++ {
		bp := b[p*ldb : p*ldb+cols]
		for i := 0; i < rows; i++ {
			axpyGeneric(a[p*lda+i], bp, c[i*ldc:i*ldc+cols])
		}
	}
}

// checkTileT is checkTile for A stored k x rows.
func checkTileT(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	checkTile(c, ldc, a, lda, b, ldb, 0, k, cols) // B only
	checkTile(c, ldc, a, lda, b, ldb, rows, 0, cols)
	if rows > 0 && k > 0 && (lda < rows || len(a) < (k-1)*lda+rows) {
		panic("kernels: attention tile operand A (stored k x rows) too short")
	}
}
