//go:build amd64 && !purego

package kernels

// simdZ selects the AVX-512 kernels (else AVX2); simdW is the width the
// kernels need n to be a multiple of. Set by setVectorPathAMD64.
var (
	simdZ bool
	simdW = 8
)

// The k* selectors call the assembly of the installed path directly (not
// through a func value), so buffers passed to them stay on the stack.

func kDot(x, y *float32, n int) float32 {
	if simdZ {
		return dotAVX512(x, y, n)
	}
	return dotAVX2(x, y, n)
}

func kSum(x *float32, n int) float32 {
	if simdZ {
		return sumAVX512(x, n)
	}
	return sumAVX2(x, n)
}

func kMax(x *float32, n int) float32 {
	if simdZ {
		return maxAVX512(x, n)
	}
	return maxAVX2(x, n)
}

func kAxpy(alpha float32, x, y *float32, n int) {
	if simdZ {
		axpyAVX512(alpha, x, y, n)
		return
	}
	axpyAVX2(alpha, x, y, n)
}

func kScale(alpha float32, x *float32, n int) {
	if simdZ {
		scaleAVX512(alpha, x, n)
		return
	}
	scaleAVX2(alpha, x, n)
}

func kAddConst(c float32, dst, src *float32, n int) {
	if simdZ {
		addConstAVX512(c, dst, src, n)
		return
	}
	addConstAVX2(c, dst, src, n)
}

func kAdd(dst, a, b *float32, n int) {
	if simdZ {
		addAVX512(dst, a, b, n)
		return
	}
	addAVX2(dst, a, b, n)
}

func kMul(dst, a, b *float32, n int) {
	if simdZ {
		mulAVX512(dst, a, b, n)
		return
	}
	mulAVX2(dst, a, b, n)
}

func kScaleMul(r float32, dst, x, w *float32, n int) {
	if simdZ {
		scaleMulAVX512(r, dst, x, w, n)
		return
	}
	scaleMulAVX2(r, dst, x, w, n)
}

func kExp(dst, src *float32, n int) {
	if simdZ {
		expAVX512(dst, src, n)
		return
	}
	expAVX2(dst, src, n)
}

func kExpSubSum(m float32, dst, src *float32, n int) float32 {
	if simdZ {
		return expSubSumAVX512(m, dst, src, n)
	}
	return expSubSumAVX2(m, dst, src, n)
}

func kSilu(dst, x *float32, n int) {
	if simdZ {
		siluAVX512(dst, x, n)
		return
	}
	siluAVX2(dst, x, n)
}

func kSwiglu(dst, gate, up *float32, n int) {
	if simdZ {
		swigluAVX512(dst, gate, up, n)
		return
	}
	swigluAVX2(dst, gate, up, n)
}

func kRope(a, b, cos, sin *float32, n int, neg uint32) {
	if simdZ {
		ropeAVX512(a, b, cos, sin, n, neg)
		return
	}
	ropeAVX2(a, b, cos, sin, n, neg)
}

func kBf16ToF32(dst *float32, src *uint16, n int) {
	if simdZ {
		bf16ToF32AVX512(dst, src, n)
		return
	}
	bf16ToF32AVX2(dst, src, n)
}

func kF32ToBF16(dst *uint16, src *float32, n int) {
	if simdZ {
		f32ToBF16AVX512(dst, src, n)
		return
	}
	f32ToBF16AVX2(dst, src, n)
}

func kF16ToF32(dst *float32, src *uint16, n int) {
	if simdZ {
		f16ToF32AVX512(dst, src, n)
		return
	}
	f16ToF32AVX2(dst, src, n)
}

func kF32ToF16(dst *uint16, src *float32, n int) {
	if simdZ {
		f32ToF16AVX512(dst, src, n)
		return
	}
	f32ToF16AVX2(dst, src, n)
}
