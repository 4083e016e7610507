//go:build amd64 && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// pathTables lists the paths this CPU can run, best first.
func pathTables() []*kernelTable {
	var t []*kernelTable
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512DQ) {
		t = append(t, &avx512Kernels)
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		t = append(t, &avx2Kernels)
	}
	return append(t, &genericKernels)
}

var avx512Kernels = kernelTable{
	path:           PathAVX512,
	vectorKernels:  avx512Vector,
	gemm:           gemmPath{f32: &avx512Arch, gemv: &gemvAVX512, bf16Dot: bf16DotIfSupported()},
	adamw:          avx512AdamW,
	swigluBackward: avx512SwiGLUBackward,
	quant:          quantAVX512(),
}

var avx2Kernels = kernelTable{
	path:           PathAVX2,
	vectorKernels:  avx2Vector,
	gemm:           gemmPath{f32: &avx2Arch, gemv: &gemvAVX2},
	adamw:          avx2AdamW,
	swigluBackward: swigluBackwardGo,
	quant:          quantAVX2,
}

// avx512Arch: 8×48 tile = 24 zmm accumulators, 3 zmm of B and broadcasts of A.
// An A micro-panel (8×kc×4 B = 16 KiB) stays in the 32 KiB L1; a worker's
// B block (kc×nb×4 B = 768 KiB) stays in its 1 MiB L2. kc = 512 measured
// best of 256..640 (see TUNING_LOG.md).
// The last B panel of n % 48 <= 32 columns runs an 8x16 or 8x32 edge kernel.
var avx512Arch = gemmArch{name: "avx512", mr: 8, nr: 48, kc: 512, nb: 384, mb: 1536, kern: sgemmKernel8x48AVX512, pack: &packAVX2, edges: avx512Edges}

// avx512Edges are the AVX-512 edge micro-kernels: 8 rows by 16 or 32
// columns, 8 or 16 zmm accumulators, the layout and contract of
// sgemmKernel8x48AVX512.
var avx512Edges = []edgeKernel{{16, sgemmKernel8x16AVX512}, {32, sgemmKernel8x32AVX512}}

// avx2Arch: 6×16 tile = 12 ymm accumulators, 2 ymm of B, 2 broadcasts.
var avx2Arch = gemmArch{name: "avx2", mr: 6, nr: 16, kc: 512, nb: 384, mb: 1536, kern: sgemmKernel6x16AVX2, pack: &packAVX2}

// The bf16 dot-product GEMM (SgemmHalf with kind == BF16 and allowBF16Dot)
// is the blocked driver with a gemmArch whose pairs flag is set: A is
// rounded to bf16 while packing, and the micro-kernel multiplies bf16
// pairs (VDPBF16PS on AVX512_BF16), accumulating in f32.
//
// bf16DotAVX512: same tile and cache footprint as avx512Arch, twice the
// depth per block (a slot holds two depth steps).
var bf16DotAVX512 = gemmArch{name: "avx512-bf16dot", mr: 8, nr: 48, kc: 1024, nb: 384, mb: 1536,
	kern: sgemmKernel8x48BF16Dot, pack: &packAVX2, pairs: true}

// bf16DotIfSupported returns bf16DotAVX512 if the CPU has AVX512_BF16.
func bf16DotIfSupported() *gemmArch {
	if cpuid.CPU.Supports(cpuid.AVX512BF16) {
		return &bf16DotAVX512
	}
	return nil
}

// packAVX2 are the AVX2 packing kernels of both amd64 paths.
var packAVX2 = packKernels{
	trans:       [3]packTransFunc{packBTransF32AVX2, packBTransBF16AVX2, packBTransF16AVX2},
	runs:        copyRunsAVX2,
	runsPanels8: copyRunsPanels8AVX2,
}

var gemvAVX512 = gemvArch{
	width: 16,
	rows:  [3]gemvRowsFunc{gemvRowsF32AVX512, gemvRowsBF16AVX512, gemvRowsF16AVX512},
	cols:  [3]gemvColsFunc{gemvColsF32AVX512, gemvColsBF16AVX512, gemvColsF16AVX512},
	rows4: [3]gemvRows4Func{gemvRows4xF32AVX512, gemvRows4xBF16AVX512, gemvRows4xF16AVX512},
	// m=64, k=2048, n=8192, 1 thread: 87.8 GFLOP/cpu-s here vs 79.7 blocked
	mediumM: 64,
}

var gemvAVX2 = gemvArch{
	width: 8,
	rows:  [3]gemvRowsFunc{gemvRowsF32AVX2, gemvRowsBF16AVX2, gemvRowsF16AVX2},
	cols:  [3]gemvColsFunc{gemvColsF32AVX2, gemvColsBF16AVX2, gemvColsF16AVX2},
	rows4: [3]gemvRows4Func{gemvRows4xF32AVX2, gemvRows4xBF16AVX2, gemvRows4xF16AVX2},
	// m=64: 60.6 GFLOP/cpu-s here vs 79 blocked; m=8: 30.4 vs 25
	mediumM: smallMMax,
}
