//go:build arm64 && !purego

package kernels

// setGemmPathARM64 installs the GEMM/GEMV kernels of path p.
func setGemmPathARM64(p Path) {
	if p == PathNEON {
		sgemm = makeSgemm(&neonArch, &gemvNEON)
		sgemmHalf = makeSgemmHalf(&neonArch, &gemvNEON, nil)
		return
	}
	sgemm = makeSgemm(&genericArch, &gemvGeneric)
	sgemmHalf = makeSgemmHalf(&genericArch, &gemvGeneric, nil)
}
