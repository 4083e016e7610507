//go:build amd64 && !purego

package kernels

// Register-blocked micro-kernels in gemm_kernel_amd64.s (see microKernel).

//go:noescape
func sgemmKernel8x48AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

// avx512Arch: 8×48 tile = 24 zmm accumulators, 3 zmm of B and broadcasts of A.
// An A micro-panel (8×kc×4 B = 16 KiB) stays in the 32 KiB L1; a worker's
// B block (kc×nb×4 B = 768 KiB) stays in its 1 MiB L2. kc = 512 measured
// best of 256..640 (see README.md).
// The last B panel of n % 48 <= 32 columns runs an 8x16 or 8x32 edge kernel.
var avx512Arch = gemmArch{name: "avx512", mr: 8, nr: 48, kc: 512, nb: 384, mb: 1536, kern: sgemmKernel8x48AVX512, packT: &packTransAVX2, edges: avx512Edges}

// avx2Arch: 6×16 tile = 12 ymm accumulators, 2 ymm of B, 2 broadcasts.
var avx2Arch = gemmArch{name: "avx2", mr: 6, nr: 16, kc: 512, nb: 384, mb: 1536, kern: sgemmKernel6x16AVX2, packT: &packTransAVX2}
