//go:build purego || !(amd64 || arm64)

package kernels

func availablePaths() []Path { return []Path{PathGeneric} }

func setPath(Path) { setGeneric() }
