//go:build amd64 && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// Until the assembly kernels land, every amd64 path runs the generic code;
// the assembly files hook themselves into setPath.
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

func setPath(p Path) {
	setGeneric()
}
