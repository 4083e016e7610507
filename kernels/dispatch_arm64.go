//go:build arm64 && !purego

package kernels

func availablePaths() []Path { return []Path{PathNEON, PathGeneric} }

func setPath(p Path) {
	setGeneric()
}
