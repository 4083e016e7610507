//go:build arm64 && !purego

package kernels

// setGemmPathARM64 installs the GEMM/GEMV kernels of path p. GEMV on arm64
// uses the portable Go kernels (gemvGeneric).
func setGemmPathARM64(p Path) {
	if p == PathNEON {
		sgemm = makeSgemm(&neonArch, &gemvGeneric)
		sgemmHalf = makeSgemmHalf(&neonArch, &gemvGeneric, nil)
		return
	}
	sgemm = makeSgemm(&genericArch, &gemvGeneric)
	sgemmHalf = makeSgemmHalf(&genericArch, &gemvGeneric, nil)
}
