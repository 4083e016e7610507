//go:build arm64 && !purego

package kernels

// tileWide is the column count of the wide attention tile kernels.
func tileWide() int { return 16 }

// tileMid is the column count of the mid-width tile kernels: none on NEON.
func tileMid() int { return 0 }

// kTileMid is never called on arm64 (tileMid is 0).
func kTileMid(nr int, c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int) {
	panic("kernels: no mid-width tile kernel on arm64")
}

// kTile runs the NEON tile kernel with nr (4 or 1) rows and 16 (wide) or 4
// columns: C[nr x cols] += A[nr x k] * B[k x cols].
func kTile(nr int, wide bool, c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int) {
	switch {
	case wide && nr == 4:
		tile4x16NEON(c, ldc, a, lda, b, ldb, k)
	case wide:
		tile1x16NEON(c, ldc, a, lda, b, ldb, k)
	case nr == 4:
		tile4x4NEON(c, ldc, a, lda, b, ldb, k)
	default:
		tile1x4NEON(c, ldc, a, lda, b, ldb, k)
	}
}

// kScores computes out[j] = q · k_j for nk keys of stride kstride (d a
// positive multiple of 4).
func kScores(q, k *float32, kstride, nk, d int, out *float32) {
	scoresNEON(q, k, kstride, nk, d, out)
}
