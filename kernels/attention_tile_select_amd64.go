//go:build amd64 && !purego

package kernels

// tileWide is the column count of the wide attention tile kernels.
func tileWide() int {
	if simdZ {
		return 64
	}
	return 16
}

// tileMid is the column count of the mid-width tile kernels (0: none).
// With AVX-512 a 32-column block (a head of 32, as in small models) runs
// one 4x32 kernel instead of two 4x16 ones, each broadcast of A feeding
// two vectors of B.
func tileMid() int {
	if simdZ {
		return 32
	}
	return 0
}

// kTileMid runs the mid-width tile kernel with nr (4 or 1) rows.
func kTileMid(nr int, c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int) {
	if nr == 4 {
		tile4x32AVX512(c, ldc, a, lda, b, ldb, k)
		return
	}
	tile1x32AVX512(c, ldc, a, lda, b, ldb, k)
}

// kTile runs the tile kernel with nr (4 or 1) rows and wide or one-vector
// columns: C[nr x cols] += A[nr x k] * B[k x cols].
func kTile(nr int, wide bool, c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int) {
	switch {
	case simdZ && wide && nr == 4:
		tile4x64AVX512(c, ldc, a, lda, b, ldb, k)
	case simdZ && wide:
		tile1x64AVX512(c, ldc, a, lda, b, ldb, k)
	case simdZ && nr == 4:
		tile4x16AVX512(c, ldc, a, lda, b, ldb, k)
	case simdZ:
		tile1x16AVX512(c, ldc, a, lda, b, ldb, k)
	case wide && nr == 4:
		tile4x16AVX2(c, ldc, a, lda, b, ldb, k)
	case wide:
		tile1x16AVX2(c, ldc, a, lda, b, ldb, k)
	case nr == 4:
		tile4x8AVX2(c, ldc, a, lda, b, ldb, k)
	default:
		tile1x8AVX2(c, ldc, a, lda, b, ldb, k)
	}
}

// kScores computes out[j] = q · k_j for nk keys of stride kstride (d a
// positive multiple of simdW).
func kScores(q, k *float32, kstride, nk, d int, out *float32) {
	if simdZ {
		scoresAVX512(q, k, kstride, nk, d, out)
		return
	}
	scoresAVX2(q, k, kstride, nk, d, out)
}
