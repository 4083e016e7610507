//go:build arm64 && !purego

package kernels

func availablePaths() []Path { return []Path{PathNEON, PathGeneric} }

func setPath(p Path) {
	setGeneric()
	setGemmPathARM64(p)
	setVectorPathARM64(p)
}
