//go:build amd64 && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// setGemmPathAMD64 installs the GEMM/GEMV kernels of path p.
func setGemmPathAMD64(p Path) {
	switch p {
	case PathAVX512:
		var dot *gemmArch
		if cpuid.CPU.Supports(cpuid.AVX512BF16) {
			dot = &bf16DotAVX512
		}
		sgemm = makeSgemm(&avx512Arch, &gemvAVX512)
		sgemmHalf = makeSgemmHalf(&avx512Arch, &gemvAVX512, dot)
	case PathAVX2:
		sgemm = makeSgemm(&avx2Arch, &gemvAVX2)
		sgemmHalf = makeSgemmHalf(&avx2Arch, &gemvAVX2, nil)
	default:
		sgemm = makeSgemm(&genericArch, &gemvGeneric)
		sgemmHalf = makeSgemmHalf(&genericArch, &gemvGeneric, nil)
	}
}
