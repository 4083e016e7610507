//go:build amd64 && !purego

package kernels

import "unsafe"

// GEMV kernels in gemv_amd64.s; see gemvArch for their contracts.

//go:noescape
func gemvRowsF32AVX512(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsBF16AVX512(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsF16AVX512(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvColsF32AVX512(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvColsBF16AVX512(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvColsF16AVX512(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvRowsF32AVX2(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsBF16AVX2(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRowsF16AVX2(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvColsF32AVX2(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvColsBF16AVX2(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

//go:noescape
func gemvColsF16AVX2(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

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

// Small-m kernels in gemv_rows4_amd64.s (see gemvRows4Func).

//go:noescape
func gemvRows4xF32AVX512(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xBF16AVX512(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xF16AVX512(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xF32AVX2(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xBF16AVX2(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

//go:noescape
func gemvRows4xF16AVX2(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)
