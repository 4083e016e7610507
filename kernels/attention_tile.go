package kernels

// tileMulAddGeneric computes C[rows x cols] += A[rows x k] * B[k x cols]
// (row-major, leading dimensions in elements). It is the reference of the
// assembly tile kernels the tiled attention multiplies its blocks with.
func tileMulAddGeneric(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	checkTile(c, ldc, a, lda, b, ldb, rows, k, cols)
	for i := 0; i < rows; i++ {
		ci := c[i*ldc : i*ldc+cols]
		for p := 0; p < k; p++ {
			AxpyGeneric(a[i*lda+p], b[p*ldb:p*ldb+cols], ci)
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
