//go:build arm64 && !purego

package kernels

// NEON attention tile kernels (attention_tile_arm64.s).

//go:noescape
func tile4x16NEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile1x16NEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile4x4NEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile1x4NEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func scoresNEON(q, k *float32, kstride, nk, d int, out *float32)
