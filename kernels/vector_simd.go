//go:build (amd64 || arm64) && !purego

package kernels

import "math"

// Slice-level wrappers around the assembly kernels (k* selectors, one file
// per architecture). The assembly handles the largest multiple of simdW
// elements; reductions finish the tail in scalar Go, element-wise kernels run
// the tail through a stack buffer of one vector so every element goes
// through the same code.

// installSIMD points the dispatch variables at the assembly-backed kernels.
func installSIMD() {
	dot, axpy, scale, add, mul = dotSIMD, axpySIMD, scaleSIMD, addSIMD, mulSIMD
	sum, maxf, expv = sumSIMD, maxSIMD, expSIMD
	softmax, logSoftmax, rmsNorm = softmaxSIMD, logSoftmaxSIMD, rmsNormSIMD
	silu, swiglu, rope, ropeInverse = siluSIMD, swigluSIMD, ropeSIMD, ropeInverseSIMD
	bf16ToF32, f32ToBF16, f16ToF32, f32ToF16 = bf16ToF32SIMD, f32ToBF16SIMD, f16ToF32SIMD, f32ToF16SIMD
	attention, attentionBackward = attentionTiled, attentionBackwardTiled
	attnTile, expSubSum, attnRowScores = tileMulAddSIMD, expSubSumSIMD, rowScoresSIMD
}

const maxSIMDW = 16

func dotSIMD(x, y []float32) float32 {
	y = y[:len(x)]
	n := len(x)
	m := n &^ (simdW - 1)
	var s float32
	if m > 0 {
		s = kDot(&x[0], &y[0], m)
	}
	for i := m; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

func sumSIMD(x []float32) float32 {
	n := len(x)
	m := n &^ (simdW - 1)
	var s float32
	if m > 0 {
		s = kSum(&x[0], m)
	}
	for _, v := range x[m:] {
		s += v
	}
	return s
}

func maxSIMD(x []float32) float32 {
	n := len(x)
	m := n &^ (simdW - 1)
	r := float32(math.Inf(-1))
	if m > 0 {
		r = kMax(&x[0], m)
	}
	for _, v := range x[m:] {
		if v > r || v != v {
			r = v
		}
	}
	return r
}

func axpySIMD(alpha float32, x, y []float32) {
	y = y[:len(x)]
	n := len(x)
	m := n &^ (simdW - 1)
	if m > 0 {
		kAxpy(alpha, &x[0], &y[0], m)
	}
	if m < n {
		var bx, by [maxSIMDW]float32
		r := copy(bx[:], x[m:])
		copy(by[:], y[m:])
		kAxpy(alpha, &bx[0], &by[0], simdW)
		copy(y[m:], by[:r])
	}
}

func scaleSIMD(alpha float32, x []float32) {
	n := len(x)
	m := n &^ (simdW - 1)
	if m > 0 {
		kScale(alpha, &x[0], m)
	}
	for i := m; i < n; i++ {
		x[i] *= alpha
	}
}

func addSIMD(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kAdd(&dst[0], &a[0], &b[0], m)
	}
	for i := m; i < n; i++ {
		dst[i] = a[i] + b[i]
	}
}

func mulSIMD(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kMul(&dst[0], &a[0], &b[0], m)
	}
	for i := m; i < n; i++ {
		dst[i] = a[i] * b[i]
	}
}

func expSIMD(dst, src []float32) {
	src = src[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kExp(&dst[0], &src[0], m)
	}
	if m < n {
		var b [maxSIMDW]float32
		r := copy(b[:], src[m:])
		kExp(&b[0], &b[0], simdW)
		copy(dst[m:], b[:r])
	}
}

// expSubSumSIMD sets dst = exp(src - m) and returns its sum.
func expSubSumSIMD(m float32, dst, src []float32) float32 {
	src = src[:len(dst)]
	n := len(dst)
	k := n &^ (simdW - 1)
	var s float32
	if k > 0 {
		s = kExpSubSum(m, &dst[0], &src[0], k)
	}
	if k < n {
		var b [maxSIMDW]float32
		r := copy(b[:], src[k:])
		for i := r; i < simdW; i++ {
			b[i] = float32(math.Inf(-1)) // exp(-Inf - m) = 0 adds nothing
		}
		s += kExpSubSum(m, &b[0], &b[0], simdW)
		copy(dst[k:], b[:r])
	}
	return s
}

func softmaxSIMD(x []float32) {
	if len(x) == 0 {
		return
	}
	m := maxSIMD(x)
	s := expSubSumSIMD(m, x, x)
	scaleSIMD(1/s, x)
}

func logSoftmaxSIMD(dst, src []float32) float32 {
	src = src[:len(dst)]
	if len(src) == 0 {
		return float32(math.Inf(-1))
	}
	m := maxSIMD(src)
	// The exponentials go through a stack buffer so that dst (which may
	// alias src) is written only once, with src - lse.
	var buf [256]float32
	var s float64
	for lo := 0; lo < len(src); lo += len(buf) {
		c := src[lo:min(lo+len(buf), len(src))]
		s += float64(expSubSumSIMD(m, buf[:len(c)], c))
	}
	return logSoftmaxFinish(dst, src, m, s)
}

func logSoftmaxFinish(dst, src []float32, m float32, s float64) float32 {
	lse := m + float32(math.Log(s))
	n := len(dst)
	k := n &^ (simdW - 1)
	if k > 0 {
		kAddConst(-lse, &dst[0], &src[0], k)
	}
	for i := k; i < n; i++ {
		dst[i] = src[i] - lse
	}
	return lse
}

func rmsNormSIMD(dst, x, w []float32, eps float32) float32 {
	x, w = x[:len(dst)], w[:len(dst)]
	ss := dotSIMD(x, x)
	r := float32(1 / math.Sqrt(float64(ss/float32(len(x))+eps)))
	n := len(dst)
	k := n &^ (simdW - 1)
	if k > 0 {
		kScaleMul(r, &dst[0], &x[0], &w[0], k)
	}
	for i := k; i < n; i++ {
		dst[i] = w[i] * (x[i] * r)
	}
	return r
}

func siluSIMD(dst, x []float32) {
	x = x[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kSilu(&dst[0], &x[0], m)
	}
	if m < n {
		var b [maxSIMDW]float32
		r := copy(b[:], x[m:])
		kSilu(&b[0], &b[0], simdW)
		copy(dst[m:], b[:r])
	}
}

func swigluSIMD(dst, gate, up []float32) {
	gate, up = gate[:len(dst)], up[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kSwiglu(&dst[0], &gate[0], &up[0], m)
	}
	if m < n {
		var g, u [maxSIMDW]float32
		r := copy(g[:], gate[m:])
		copy(u[:], up[m:])
		kSwiglu(&g[0], &g[0], &u[0], simdW)
		copy(dst[m:], g[:r])
	}
}

func ropeSIMD(x []float32, nHeads, headDim int, cos, sin []float32) {
	ropeSIMDSign(x, nHeads, headDim, cos, sin, 0)
}

func ropeInverseSIMD(x []float32, nHeads, headDim int, cos, sin []float32) {
	ropeSIMDSign(x, nHeads, headDim, cos, sin, 0x80000000)
}

func ropeSIMDSign(x []float32, nHeads, headDim int, cos, sin []float32, neg uint32) {
	h := headDim / 2
	cos, sin = cos[:h], sin[:h]
	m := h &^ (simdW - 1)
	for hd := 0; hd < nHeads; hd++ {
		p := x[hd*headDim : hd*headDim+headDim]
		if m > 0 {
			kRope(&p[0], &p[h], &cos[0], &sin[0], m, neg)
		}
		for i := m; i < h; i++ {
			a, b := p[i], p[i+h]
			s := math.Float32frombits(math.Float32bits(sin[i]) ^ neg)
			p[i] = a*cos[i] - b*s
			p[i+h] = b*cos[i] + a*s
		}
	}
}

func bf16ToF32SIMD(dst []float32, src []uint16) {
	src = src[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kBf16ToF32(&dst[0], &src[0], m)
	}
	BF16ToF32Generic(dst[m:], src[m:])
}

func f32ToBF16SIMD(dst []uint16, src []float32) {
	src = src[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kF32ToBF16(&dst[0], &src[0], m)
	}
	F32ToBF16Generic(dst[m:], src[m:])
}

func f16ToF32SIMD(dst []float32, src []uint16) {
	src = src[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kF16ToF32(&dst[0], &src[0], m)
	}
	F16ToF32Generic(dst[m:], src[m:])
}

func f32ToF16SIMD(dst []uint16, src []float32) {
	src = src[:len(dst)]
	n := len(dst)
	m := n &^ (simdW - 1)
	if m > 0 {
		kF32ToF16(&dst[0], &src[0], m)
	}
	F32ToF16Generic(dst[m:], src[m:])
}
