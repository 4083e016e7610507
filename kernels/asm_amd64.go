//go:build amd64 && !purego

package kernels

import "unsafe"

// Declarations of the amd64 assembly kernels, by file. Each kernel processes
// whole vectors; the Go code around it (simd_*_amd64.go, the GEMM driver,
// adamw_amd64.go, swiglu_bwd_amd64.go) handles tails and chooses shapes.

// vector_avx2_amd64.s, vector_avx512_amd64.s: n elements, n a multiple of
// the vector width (8 for AVX2, 16 for AVX-512).

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func sumAVX2(x *float32, n int) float32

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX2(alpha float32, x *float32, n int)

//go:noescape
func addConstAVX2(c float32, dst, src *float32, n int)

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func scaleMulAVX2(r float32, dst, x, w *float32, n int)

//go:noescape
func expAVX2(dst, src *float32, n int)

//go:noescape
func expSubSumAVX2(m float32, dst, src *float32, n int) float32

//go:noescape
func siluAVX2(dst, x *float32, n int)

//go:noescape
func swigluAVX2(dst, gate, up *float32, n int)

//go:noescape
func ropeAVX2(a, b, cos, sin *float32, n int, neg uint32)

//go:noescape
func bf16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func f16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func dotAVX512(x, y *float32, n int) float32

//go:noescape
func sumAVX512(x *float32, n int) float32

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX512(alpha float32, x *float32, n int)

//go:noescape
func addConstAVX512(c float32, dst, src *float32, n int)

//go:noescape
func addAVX512(dst, a, b *float32, n int)

//go:noescape
func mulAVX512(dst, a, b *float32, n int)

//go:noescape
func scaleMulAVX512(r float32, dst, x, w *float32, n int)

//go:noescape
func expAVX512(dst, src *float32, n int)

//go:noescape
func expSubSumAVX512(m float32, dst, src *float32, n int) float32

//go:noescape
func siluAVX512(dst, x *float32, n int)

//go:noescape
func swigluAVX512(dst, gate, up *float32, n int)

//go:noescape
func ropeAVX512(a, b, cos, sin *float32, n int, neg uint32)

//go:noescape
func bf16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func f16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16AVX512(dst *uint16, src *float32, n int)

// attention_tile_amd64.s (generated): C[rows x cols] += A[rows x k] *
// B[k x cols]; tileT*: A stored k x rows.

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

// attention_scores_amd64.s (generated): out[j] = q · k_j, decode-time scores.

//go:noescape
func scoresAVX512(q, k *float32, kstride, nk, d int, out *float32)

//go:noescape
func scoresAVX2(q, k *float32, kstride, nk, d int, out *float32)

// gemm_kernel_amd64.s, gemm_edge_amd64.s, gemm_bf16dot_amd64.s (generated):
// register-blocked micro-kernels (see microKernel); the BF16 dot one takes
// k-pairs of bf16 (see gemmArch.pairs) and needs AVX512_BF16.

//go:noescape
func sgemmKernel8x48AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel8x16AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel8x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel8x48BF16Dot(k int, a, b, c *float32, ldc int, alpha, beta float32)

// gemm_pack_amd64.s (generated): transposing B packers (AVX2; used by the
// AVX2 and AVX-512 paths). Contract: dst[p*nr+c] = src[c*ld+p] for c < nr,
// p < kl, with nr and kl multiples of 8.

//go:noescape
func packBTransF32AVX2(dst *float32, nr int, src unsafe.Pointer, ld, kl int)

//go:noescape
func packBTransBF16AVX2(dst *float32, nr int, src unsafe.Pointer, ld, kl int)

//go:noescape
func packBTransF16AVX2(dst *float32, nr int, src unsafe.Pointer, ld, kl int)

// gemm_pack_rows_amd64.s: copyRuns for widths that are multiples of 8 with
// 32-byte moves (the Go version's fixed-size array copies compile to a
// runtime.memmove call per run, which was ~5% of a 5m training step), and
// copyRunsPanels for w == 8 with one 32-byte move per run.

//go:noescape
func copyRunsAVX2(dst, src *float32, w, ld, kl int)

//go:noescape
func copyRunsPanels8AVX2(dst, src *float32, ld, kl, np, pstride int)

// gemv_amd64.s, gemv_rows4_amd64.s (generated): GEMV rows/cols kernels and
// small-m kernels; see gemvArch for their contracts.

//go:noescape
func gemvRowsF32AVX512(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsBF16AVX512(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsF16AVX512(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvColsF32AVX512(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvColsBF16AVX512(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvColsF16AVX512(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvRowsF32AVX2(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsBF16AVX2(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsF16AVX2(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvColsF32AVX2(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvColsBF16AVX2(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvColsF16AVX2(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvRows4xF32AVX512(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xBF16AVX512(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xF16AVX512(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xF32AVX2(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xBF16AVX2(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xF16AVX2(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

// vector_consts_amd64.s (generated): vecConsts is not a function but the
// table of constants the vector kernels load as memory operands (K_* in
// vector_consts_amd64.h), kept in the text section so that it is 64-byte
// aligned; never call it. vecConstsPtr returns its address.

func vecConsts()

func vecConstsPtr() *uint32

// adamw_amd64.s: n elements, n a multiple of 16 (AVX-512) or 8 (AVX2);
// multiplies and adds are separate instructions (no FMA), as in adamwGeneric.

//go:noescape
func adamwAVX512(wp, gp, mp, vp *float32, n int, c *adamwConsts)

//go:noescape
func adamwAVX2(wp, gp, mp, vp *float32, n int, c *adamwConsts)

// swiglu_bwd_amd64.s: n elements, n a multiple of 16.

//go:noescape
func swigluBwdAVX512(dgate, dup, dy, gate, up *float32, n int)
