//go:build !amd64 || purego

package kernels

// attnTileTFor returns the transposed-A tile product: the Go loops (no
// assembly twin on this architecture).
func attnTileTFor() func(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	return tileMulAddTGeneric
}
