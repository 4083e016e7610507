//go:build amd64 && !purego

package kernels

// Attention tile kernels (attention_tile_amd64.s): C[rows x cols] +=
// A[rows x k] * B[k x cols].

//go:noescape
func tile4x64AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile1x64AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile4x32AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile1x32AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile4x16AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile1x16AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT4x64AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT1x64AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT4x32AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT1x32AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT4x16AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT1x16AVX512(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile4x16AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile1x16AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile4x8AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tile1x8AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT4x16AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT1x16AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT4x8AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func tileT1x8AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)
