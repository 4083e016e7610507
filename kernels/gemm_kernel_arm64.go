//go:build arm64 && !purego

package kernels

// sgemmKernel8x8NEON is the 8×8 NEON micro-kernel (gemm_kernel_arm64.s):
// 16 q-register accumulators, by-element FMLA on the packed A column.
//
//go:noescape
func sgemmKernel8x8NEON(k int, a, b, c *float32, ldc int, alpha, beta float32)

// neonArch: A micro-panel 8×kc×4 B = 8 KiB in L1, B block kc×nb in L2.
var neonArch = gemmArch{name: "neon", mr: 8, nr: 8, kc: 256, nb: 512, mb: 1024, kern: sgemmKernel8x8NEON}
