package kernels

// The bf16 dot-product GEMM (SgemmHalf with kind == BF16 and allowBF16Dot)
// is the blocked driver with a gemmArch whose pairs flag is set: A is
// rounded to bf16 while packing, and the micro-kernel multiplies bf16
// pairs (VDPBF16PS on AVX512_BF16), accumulating in f32.
