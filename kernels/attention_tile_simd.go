//go:build (amd64 || arm64) && !purego

package kernels

// tileMulAddSIMD is tileMulAddGeneric on the assembly tile kernels: rows in
// groups of 4 (then 1), columns in wide blocks, then single vectors, then a
// scalar tail.
func tileMulAddSIMD(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	checkTile(c, ldc, a, lda, b, ldb, rows, k, cols)
	if rows == 0 || cols == 0 || k == 0 {
		return
	}
	wide, w := tileWide(), simdW
	for i := 0; i < rows; {
		nr := 1
		if rows-i >= 4 {
			nr = 4
		}
		j := 0
		for ; j+wide <= cols; j += wide {
			kTile(nr, true, &c[i*ldc+j], ldc, &a[i*lda], lda, &b[j], ldb, k)
		}
		for ; j+w <= cols; j += w {
			kTile(nr, false, &c[i*ldc+j], ldc, &a[i*lda], lda, &b[j], ldb, k)
		}
		for ; j < cols; j++ {
			for r := i; r < i+nr; r++ {
				s := c[r*ldc+j]
				for p := 0; p < k; p++ {
					s += a[r*lda+p] * b[p*ldb+j]
				}
				c[r*ldc+j] = s
			}
		}
		i += nr
	}
}
