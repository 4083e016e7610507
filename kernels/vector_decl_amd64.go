//go:build amd64 && !purego

package kernels

// Assembly kernels (vector_avx2_amd64.s, vector_avx512_amd64.s). Each
// processes n elements, n a multiple of the vector width (8 for AVX2, 16 for
// AVX-512); the wrappers in vector_wrap.go handle the tails.

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func sumAVX2(x *float32, n int) float32

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX2(alpha float32, x *float32, n int)

//go:noescape
func addConstAVX2(c float32, dst, src *float32, n int)

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func scaleMulAVX2(r float32, dst, x, w *float32, n int)

//go:noescape
func expAVX2(dst, src *float32, n int)

//go:noescape
func expSubSumAVX2(m float32, dst, src *float32, n int) float32

//go:noescape
func siluAVX2(dst, x *float32, n int)

//go:noescape
func swigluAVX2(dst, gate, up *float32, n int)

//go:noescape
func ropeAVX2(a, b, cos, sin *float32, n int, neg uint32)

//go:noescape
func bf16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func f16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func dotAVX512(x, y *float32, n int) float32

//go:noescape
func sumAVX512(x *float32, n int) float32

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX512(alpha float32, x *float32, n int)

//go:noescape
func addConstAVX512(c float32, dst, src *float32, n int)

//go:noescape
func addAVX512(dst, a, b *float32, n int)

//go:noescape
func mulAVX512(dst, a, b *float32, n int)

//go:noescape
func scaleMulAVX512(r float32, dst, x, w *float32, n int)

//go:noescape
func expAVX512(dst, src *float32, n int)

//go:noescape
func expSubSumAVX512(m float32, dst, src *float32, n int) float32

//go:noescape
func siluAVX512(dst, x *float32, n int)

//go:noescape
func swigluAVX512(dst, gate, up *float32, n int)

//go:noescape
func ropeAVX512(a, b, cos, sin *float32, n int, neg uint32)

//go:noescape
func bf16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func f16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16AVX512(dst *uint16, src *float32, n int)
