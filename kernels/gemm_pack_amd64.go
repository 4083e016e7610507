//go:build amd64 && !purego

package kernels

import "unsafe"

// Transposing B packers in gemm_pack_amd64.s (AVX2; used by the AVX2 and
// AVX-512 paths). Contract: dst[p*nr+c] = src[c*ld+p] for c < nr, p < kl,
// with nr and kl multiples of 8.

//go:noescape
func packBTransF32AVX2(dst *float32, nr int, src unsafe.Pointer, ld, kl int)

//go:noescape
func packBTransBF16AVX2(dst *float32, nr int, src unsafe.Pointer, ld, kl int)

//go:noescape
func packBTransF16AVX2(dst *float32, nr int, src unsafe.Pointer, ld, kl int)

var packTransAVX2 = [3]packTransFunc{packBTransF32AVX2, packBTransBF16AVX2, packBTransF16AVX2}
