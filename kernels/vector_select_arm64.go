//go:build arm64 && !purego

package kernels

// simdW is the width the NEON kernels need n to be a multiple of.
const simdW = 4

// The k* selectors name the NEON kernels (one path on arm64).

func kDot(x, y *float32, n int) float32 { return dotNEON(x, y, n) }

func kSum(x *float32, n int) float32 { return sumNEON(x, n) }

func kMax(x *float32, n int) float32 { return maxNEON(x, n) }

func kAxpy(alpha float32, x, y *float32, n int) { axpyNEON(alpha, x, y, n) }

func kScale(alpha float32, x *float32, n int) { scaleNEON(alpha, x, n) }

func kAddConst(c float32, dst, src *float32, n int) { addConstNEON(c, dst, src, n) }

func kAdd(dst, a, b *float32, n int) { addNEON(dst, a, b, n) }

func kMul(dst, a, b *float32, n int) { mulNEON(dst, a, b, n) }

func kScaleMul(r float32, dst, x, w *float32, n int) { scaleMulNEON(r, dst, x, w, n) }

func kExp(dst, src *float32, n int) { expNEON(dst, src, n) }

func kExpSubSum(m float32, dst, src *float32, n int) float32 { return expSubSumNEON(m, dst, src, n) }

func kSilu(dst, x *float32, n int) { siluNEON(dst, x, n) }

func kSwiglu(dst, gate, up *float32, n int) { swigluNEON(dst, gate, up, n) }

func kRope(a, b, cos, sin *float32, n int, neg uint32) { ropeNEON(a, b, cos, sin, n, neg) }

func kBf16ToF32(dst *float32, src *uint16, n int) { bf16ToF32NEON(dst, src, n) }

func kF32ToBF16(dst *uint16, src *float32, n int) { f32ToBF16NEON(dst, src, n) }

func kF16ToF32(dst *float32, src *uint16, n int) { f16ToF32NEON(dst, src, n) }

func kF32ToF16(dst *uint16, src *float32, n int) { f32ToF16NEON(dst, src, n) }
