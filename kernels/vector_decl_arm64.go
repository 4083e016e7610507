//go:build arm64 && !purego

package kernels

// NEON kernels (vector_neon_arm64.s); n is a multiple of simdW = 4.

//go:noescape
func dotNEON(x, y *float32, n int) float32

//go:noescape
func sumNEON(x *float32, n int) float32

//go:noescape
func maxNEON(x *float32, n int) float32

//go:noescape
func axpyNEON(alpha float32, x, y *float32, n int)

//go:noescape
func scaleNEON(alpha float32, x *float32, n int)

//go:noescape
func addConstNEON(c float32, dst, src *float32, n int)

//go:noescape
func addNEON(dst, a, b *float32, n int)

//go:noescape
func mulNEON(dst, a, b *float32, n int)

//go:noescape
func scaleMulNEON(r float32, dst, x, w *float32, n int)

//go:noescape
func expNEON(dst, src *float32, n int)

//go:noescape
func expSubSumNEON(m float32, dst, src *float32, n int) float32

//go:noescape
func siluNEON(dst, x *float32, n int)

//go:noescape
func swigluNEON(dst, gate, up *float32, n int)

//go:noescape
func ropeNEON(a, b, cos, sin *float32, n int, neg uint32)

//go:noescape
func bf16ToF32NEON(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16NEON(dst *uint16, src *float32, n int)

//go:noescape
func f16ToF32NEON(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16NEON(dst *uint16, src *float32, n int)
