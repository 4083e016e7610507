//go:build purego || !(amd64 || arm64)

package kernels

func availablePaths() []Path { return []Path{PathGeneric} }

// setPath installs the portable kernels: the blocked Go GEMM/GEMV (the
// same code the generic path of amd64 and arm64 runs) and the generic
// vector kernels.
func setPath(Path) {
	setGeneric()
	sgemm = makeSgemm(&genericArch, &gemvGeneric)
	sgemmHalf = makeSgemmHalf(&genericArch, &gemvGeneric, nil)
}
