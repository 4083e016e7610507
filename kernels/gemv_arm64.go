//go:build arm64 && !purego

package kernels

import "unsafe"

// NEON GEMV rows kernels in gemv_arm64.s (gemvRowsFunc, k a multiple of 8).

//go:noescape
func gemvRowsF32NEON(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsBF16NEON(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsF16NEON(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

// gemvNEON: NEON dot-product rows kernels; the columns (B [K,N]) kernels
// are the Go ones, and without a NEON few-rows kernel m > 1 takes the NEON
// blocked GEMM.
var gemvNEON = gemvArch{
	width: 8,
	rows:  [3]gemvRowsFunc{gemvRowsF32NEON, gemvRowsBF16NEON, gemvRowsF16NEON},
	cols:  gemvGeneric.cols,
}
