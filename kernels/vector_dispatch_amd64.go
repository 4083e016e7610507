//go:build amd64 && !purego

package kernels

// setVectorPathAMD64 installs the vector, attention and conversion kernels
// of path p.
func setVectorPathAMD64(p Path) {
	resetTiledKernels()
	switch p {
	case PathAVX512:
		simdZ, simdW = true, 16
		installSIMD()
	case PathAVX2:
		simdZ, simdW = false, 8
		installSIMD()
	}
}
