package kernels

import "math"

// Generic (portable Go) versions of the vector kernels. They are the
// reference the assembly versions are tested against.

func dotGeneric(x, y []float32) float32 {
	var s float32
	y = y[:len(x)]
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func axpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func mulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func sumGeneric(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += v
	}
	return s
}

func maxGeneric(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m || v != v {
			m = v
		}
	}
	return m
}

func expGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float32(math.Exp(float64(v)))
	}
}

func softmaxGeneric(x []float32) {
	if len(x) == 0 {
		return
	}
	m := maxGeneric(x)
	var s float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		s += e
	}
	inv := 1 / s
	for i := range x {
		x[i] *= inv
	}
}

func logSoftmaxGeneric(dst, src []float32) float32 {
	src = src[:len(dst)]
	if len(src) == 0 {
		return float32(math.Inf(-1))
	}
	m := maxGeneric(src)
	var s float64
	for _, v := range src {
		s += math.Exp(float64(v - m))
	}
	lse := m + float32(math.Log(s))
	for i, v := range src {
		dst[i] = v - lse
	}
	return lse
}

func rmsNormGeneric(dst, x, w []float32, eps float32) float32 {
	x, w = x[:len(dst)], w[:len(dst)]
	var ss float32
	for _, v := range x {
		ss += v * v
	}
	r := float32(1 / math.Sqrt(float64(ss/float32(len(x))+eps)))
	for i, v := range x {
		dst[i] = w[i] * (v * r)
	}
	return r
}

func sigmoid32(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }

func siluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v * sigmoid32(v)
	}
}

func swigluGeneric(dst, gate, up []float32) {
	gate, up = gate[:len(dst)], up[:len(dst)]
	for i, g := range gate {
		dst[i] = g * sigmoid32(g) * up[i]
	}
}

func ropeGeneric(x []float32, nHeads, headDim int, cos, sin []float32) {
	h := headDim / 2
	cos, sin = cos[:h], sin[:h]
	for hd := 0; hd < nHeads; hd++ {
		p := x[hd*headDim : hd*headDim+headDim]
		for i := 0; i < h; i++ {
			a, b := p[i], p[i+h]
			p[i] = a*cos[i] - b*sin[i]
			p[i+h] = b*cos[i] + a*sin[i]
		}
	}
}

func ropeInverseGeneric(x []float32, nHeads, headDim int, cos, sin []float32) {
	h := headDim / 2
	cos, sin = cos[:h], sin[:h]
	for hd := 0; hd < nHeads; hd++ {
		p := x[hd*headDim : hd*headDim+headDim]
		for i := 0; i < h; i++ {
			a, b := p[i], p[i+h]
			p[i] = a*cos[i] + b*sin[i]
			p[i+h] = b*cos[i] - a*sin[i]
		}
	}
}
