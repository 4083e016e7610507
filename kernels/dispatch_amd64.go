//go:build amd64 && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

func availablePaths() []Path {
	var p []Path
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512DQ) {
		p = append(p, PathAVX512)
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		p = append(p, PathAVX2)
	}
	return append(p, PathGeneric)
}

// setPath starts from the generic kernels and lets each kernel family
// (its own file) install its assembly for path p.
func setPath(p Path) {
	setGeneric()
	setGemmPathAMD64(p)
	setVectorPathAMD64(p)
}
