// Package kernels owns the raw numeric kernels of popi-go: GEMM and GEMV
// (f32, and with bf16/f16 weights), vector arithmetic, softmax, RMSNorm,
// RoPE, SiLU/SwiGLU (and its backward), fused causal attention, the AdamW
// update, half-precision conversion, the worker pool that spreads them over
// cores (ParallelFor over index ranges, ParallelTasks for independent
// pieces of work claimed by whichever core is free), and the runtime choice
// of instruction set.
//
// Every kernel works on plain slices and has a portable Go twin (the
// unexported *Generic functions and the Go GEMM micro-kernel) that is the
// reference the assembly versions (AVX-512, AVX2+FMA on amd64, NEON on
// arm64) are tested against.
//
// Dispatch has one form: a kernel table per instruction-set path (the
// kernelTable type: one function value per kernel, plus the GEMM's blocking
// and micro-kernel descriptors). dispatch_generic.go defines the portable
// table, dispatch_amd64.go and dispatch_arm64.go the assembly ones, which
// list the paths the CPU supports best first. At init the best path's
// table is copied into kern, which every exported entry point calls
// through; the environment variable POPI_KERNELS=generic|avx2|avx512|neon
// chooses a lower path (an unknown or unavailable value is reported on
// stderr and ignored), the purego build tag leaves only the portable one,
// and SetPath switches tables at run time (tests, benchmarks). Below the
// table nothing is chosen per call: the assembly paths' wrappers
// (simd_*.go, generated per instruction set) call their assembly directly.
//
// The unrolled assembly and the per-instruction-set wrappers are written
// by `go generate ./kernels` (program internal/gen); see README.md.
//
// Matrices are row-major with an explicit leading dimension (the distance in
// elements between the starts of two rows). Kernels never read or write
// outside the elements their arguments describe.
package kernels
