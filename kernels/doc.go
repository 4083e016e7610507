// Package kernels owns the raw numeric kernels of popi-go: GEMM and GEMV
// (f32, and with bf16/f16 weights), vector arithmetic, softmax, RMSNorm,
// RoPE, SiLU/SwiGLU (and its backward), fused causal attention, the AdamW
// update, half-precision conversion, the worker pool that spreads them over
// cores (ParallelFor over index ranges, ParallelTasks for independent
// pieces of work claimed by whichever core is free), and the runtime choice
// of instruction set.
//
// Every kernel works on plain slices and has a portable Go version (the
// *Generic functions) that is the reference the assembly versions
// (AVX-512, AVX2+FMA on amd64, NEON on arm64) are tested against. The exported
// entry points dispatch to the best path the CPU supports; the environment
// variable POPI_KERNELS=generic|avx2|avx512|neon or the purego build tag forces
// a lower one.
//
// Matrices are row-major with an explicit leading dimension (the distance in
// elements between the starts of two rows). Kernels never read or write
// outside the elements their arguments describe.
package kernels
