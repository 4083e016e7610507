//go:build amd64 && !purego

package kernels

// attnTileTFor returns the transposed-A tile product of the active path:
// the assembly kernels unless the generic path is selected.
func attnTileTFor() func(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	if active == PathGeneric {
		return tileMulAddTGeneric
	}
	return tileMulAddTSIMD
}

// tileMulAddTSIMD is tileMulAddTGeneric on the assembly kernels, split
// like tileMulAddSIMD (rows by 4 then 1; wide, mid, one-vector columns;
// scalar tail).
func tileMulAddTSIMD(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	checkTileT(c, ldc, a, lda, b, ldb, rows, k, cols)
	if rows == 0 || cols == 0 || k == 0 {
		return
	}
	wide, mid, w := tileWide(), tileMid(), simdW
	for i := 0; i < rows; {
		nr := 1
		if rows-i >= 4 {
			nr = 4
		}
		j := 0
		for ; j+wide <= cols; j += wide {
			kTileT(nr, wide, &c[i*ldc+j], ldc, &a[i], lda, &b[j], ldb, k)
		}
		if mid > 0 && j+mid <= cols {
			kTileT(nr, mid, &c[i*ldc+j], ldc, &a[i], lda, &b[j], ldb, k)
			j += mid
		}
		for ; j+w <= cols; j += w {
			kTileT(nr, w, &c[i*ldc+j], ldc, &a[i], lda, &b[j], ldb, k)
		}
		for ; j < cols; j++ {
			for r := i; r < i+nr; r++ {
				s := c[r*ldc+j]
				for p := 0; p < k; p++ {
					s += a[p*lda+r] * b[p*ldb+j]
				}
				c[r*ldc+j] = s
			}
		}
		i += nr
	}
}

// kTileT runs the transposed-A tile kernel of nr (4 or 1) rows and width
// columns (one of tileWide, tileMid, simdW).
func kTileT(nr, width int, c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int) {
	switch {
	case simdZ && width == 64 && nr == 4:
		tileT4x64AVX512(c, ldc, a, lda, b, ldb, k)
	case simdZ && width == 64:
		tileT1x64AVX512(c, ldc, a, lda, b, ldb, k)
	case simdZ && width == 32 && nr == 4:
		tileT4x32AVX512(c, ldc, a, lda, b, ldb, k)
	case simdZ && width == 32:
		tileT1x32AVX512(c, ldc, a, lda, b, ldb, k)
	case simdZ && nr == 4:
		tileT4x16AVX512(c, ldc, a, lda, b, ldb, k)
	case simdZ:
		tileT1x16AVX512(c, ldc, a, lda, b, ldb, k)
	case width == 16 && nr == 4:
		tileT4x16AVX2(c, ldc, a, lda, b, ldb, k)
	case width == 16:
		tileT1x16AVX2(c, ldc, a, lda, b, ldb, k)
	case nr == 4:
		tileT4x8AVX2(c, ldc, a, lda, b, ldb, k)
	default:
		tileT1x8AVX2(c, ldc, a, lda, b, ldb, k)
	}
}
