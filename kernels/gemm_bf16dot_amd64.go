//go:build amd64 && !purego

package kernels

// The bf16 dot-product GEMM (SgemmHalf with kind == BF16 and allowBF16Dot)
// is the blocked driver with a gemmArch whose pairs flag is set: A is
// rounded to bf16 while packing, and the micro-kernel multiplies bf16
// pairs (VDPBF16PS on AVX512_BF16), accumulating in f32.

// sgemmKernel8x48BF16Dot (gemm_bf16dot_amd64.s) is the 8×48 micro-kernel
// over k-pairs of bf16 (see gemmArch.pairs); needs AVX512_BF16.
//
//go:noescape
func sgemmKernel8x48BF16Dot(k int, a, b, c *float32, ldc int, alpha, beta float32)

// bf16DotAVX512: same tile and cache footprint as avx512Arch, twice the
// depth per block (a slot holds two depth steps).
var bf16DotAVX512 = gemmArch{name: "avx512-bf16dot", mr: 8, nr: 48, kc: 1024, nb: 384, mb: 1536,
	kern: sgemmKernel8x48BF16Dot, packT: &packTransAVX2, pairs: true}
