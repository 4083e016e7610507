package kernels

// bf16DotArch is a GEMM path that rounds A to bf16 and multiplies bf16
// pairs with a dot-product instruction (AVX512_BF16 VDPBF16PS).
type bf16DotArch struct {
	mr, nr, kc, nb, mb int
	kern               microKernel
}

func sgemmBF16Dot(ar *bf16DotArch, transA bool, m, n, k int, alpha float32, a []float32, lda int, bs bSource, beta float32, c []float32, ldc int) {
	panic("not yet")
}
