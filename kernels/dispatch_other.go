//go:build purego || !(amd64 || arm64)

package kernels

// pathTables: the portable path only (no assembly in this build).
func pathTables() []*kernelTable { return []*kernelTable{&genericKernels} }
