//go:build arm64 && !purego

package kernels

// pathTables: NEON (every arm64 CPU has it), then the portable path.
func pathTables() []*kernelTable { return []*kernelTable{&neonKernels, &genericKernels} }

var neonKernels = kernelTable{
	path:           PathNEON,
	vectorKernels:  neonVector,
	gemm:           gemmPath{f32: &neonArch, gemv: &gemvNEON},
	adamw:          adamwGeneric,
	swigluBackward: swigluBackwardGo,
	quant:          quantNEONIfSupported(),
}

// neonArch: 8×8 tile, A micro-panel 8×kc×4 B = 8 KiB in L1, B block kc×nb
// in L2.
var neonArch = gemmArch{name: "neon", mr: 8, nr: 8, kc: 256, nb: 512, mb: 1024, kern: sgemmKernel8x8NEON}

// gemvNEON: NEON dot-product rows kernels; the columns (B [K,N]) kernels
// are the Go ones, and without a NEON few-rows kernel m > 1 takes the NEON
// blocked GEMM.
var gemvNEON = gemvArch{
	width: 8,
	rows:  [3]gemvRowsFunc{gemvRowsF32NEON, gemvRowsBF16NEON, gemvRowsF16NEON},
	cols:  gemvGeneric.cols,
}
