//go:build arm64 && !purego

package kernels

import "unsafe"

// Declarations of the arm64 assembly kernels, by file.

// vector_neon_arm64.s (generated): n elements, n a multiple of 4.

//go:noescape
func dotNEON(x, y *float32, n int) float32

//go:noescape
func sumNEON(x *float32, n int) float32

//go:noescape
func maxNEON(x *float32, n int) float32

//go:noescape
func axpyNEON(alpha float32, x, y *float32, n int)

//go:noescape
func scaleNEON(alpha float32, x *float32, n int)

//go:noescape
func addConstNEON(c float32, dst, src *float32, n int)

//go:noescape
func addNEON(dst, a, b *float32, n int)

//go:noescape
func mulNEON(dst, a, b *float32, n int)

//go:noescape
func scaleMulNEON(r float32, dst, x, w *float32, n int)

//go:noescape
func expNEON(dst, src *float32, n int)

//go:noescape
func expSubSumNEON(m float32, dst, src *float32, n int) float32

//go:noescape
func siluNEON(dst, x *float32, n int)

//go:noescape
func swigluNEON(dst, gate, up *float32, n int)

//go:noescape
func ropeNEON(a, b, cos, sin *float32, n int, neg uint32)

//go:noescape
func bf16ToF32NEON(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16NEON(dst *uint16, src *float32, n int)

//go:noescape
func f16ToF32NEON(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16NEON(dst *uint16, src *float32, n int)

// attention_tile_arm64.s (generated): tile products C[rows x cols] +=
// A[rows x k] * B[k x cols] and decode-time scores out[j] = q · k_j.

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

// gemm_kernel_arm64.s (generated): the 8×8 micro-kernel, 16 q-register
// accumulators, by-element FMLA on the packed A column.

//go:noescape
func sgemmKernel8x8NEON(k int, a, b, c *float32, ldc int, alpha, beta float32)

// gemv_arm64.s (generated): GEMV rows kernels (gemvRowsFunc, k a multiple
// of 8).

//go:noescape
func gemvRowsF32NEON(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsBF16NEON(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsF16NEON(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)
