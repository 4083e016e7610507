//go:build arm64 && !purego

package kernels

// setVectorPathARM64 installs the vector, attention and conversion kernels
// of path p.
func setVectorPathARM64(p Path) {
	resetTiledKernels()
	if p == PathNEON {
		installSIMD()
	}
}
