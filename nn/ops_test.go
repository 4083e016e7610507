package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ---- float64 reference helpers (independent of the nn code) ----

func ref2(in [][]float64, f func(a, b float64) float64, as, bs []int) []float64 {
	n := len(as)
	if len(bs) > n {
		n = len(bs)
	}
	out := make([]int, n)
	get := func(s []int, i int) int {
		j := i - (n - len(s))
		if j < 0 {
			return 1
		}
		return s[j]
	}
	for i := range out {
		out[i] = max(get(as, i), get(bs, i))
	}
	total := numel(out)
	res := make([]float64, total)
	idx := make([]int, n)
	flat := func(s []int) int {
		p := 0
		for i := 0; i < n; i++ {
			d := get(s, i)
			v := idx[i]
			if d == 1 {
				v = 0
			}
			p = p*d + v
		}
		return p
	}
	for k := 0; k < total; k++ {
		rem := k
		for i := n - 1; i >= 0; i-- {
			idx[i] = rem % out[i]
			rem /= out[i]
		}
		res[k] = f(in[0][flat(as)], in[1][flat(bs)])
	}
	return res
}

func awayFromZero(r *rand.Rand, i int, x []float64) {
	for j := range x {
		v := 0.5 + math.Abs(r.NormFloat64())
		if r.IntN(2) == 0 {
			v = -v
		}
		x[j] = v
	}
}

func positive(r *rand.Rand, i int, x []float64) {
	for j := range x {
		x[j] = 0.2 + 2*r.Float64()
	}
}

func TestBinaryGrad(t *testing.T) {
	shapes := [][2][]int{
		{{3, 4}, {3, 4}}, {{2, 3, 4}, {4}}, {{4}, {2, 3, 4}}, {{2, 1, 4}, {3, 1}}, {{3, 1}, {1, 5}}, {{2, 3}, {}},
	}
	ops := []struct {
		name string
		f    func(a, b *Value) *Value
		r    func(a, b float64) float64
	}{
		{"add", Add, func(a, b float64) float64 { return a + b }},
		{"sub", Sub, func(a, b float64) float64 { return a - b }},
		{"mul", Mul, func(a, b float64) float64 { return a * b }},
		{"div", Div, func(a, b float64) float64 { return a / b }},
		{"minimum", Minimum, math.Min},
		{"maximum", Maximum, math.Max},
	}
	var cases []gradCase
	for _, op := range ops {
		for _, s := range shapes {
			op, s := op, s
			c := gradCase{
				name:   op.name + shapeStr(s[0]...) + shapeStr(s[1]...),
				shapes: [][]int{s[0], s[1]},
				f:      func(in []*Value) *Value { return op.f(in[0], in[1]) },
				ref:    func(in [][]float64) []float64 { return ref2(in, op.r, s[0], s[1]) },
			}
			if op.name == "div" {
				c.init = awayFromZero
			}
			cases = append(cases, c)
		}
	}
	runCases(t, cases)
}

func mapRef(f func(float64) float64) func(in [][]float64) []float64 {
	return func(in [][]float64) []float64 {
		o := make([]float64, len(in[0]))
		for i, v := range in[0] {
			o[i] = f(v)
		}
		return o
	}
}

func sig(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

func TestUnaryGrad(t *testing.T) {
	s := [][]int{{3, 5}}
	cond := []bool{true, false, false, true, true, false, true, false, true, true, false, false, true, false, true}
	runCases(t, []gradCase{
		{name: "scale", shapes: s, f: func(in []*Value) *Value { return Scale(in[0], -1.5) }, ref: mapRef(func(v float64) float64 { return -1.5 * v })},
		{name: "neg", shapes: s, f: func(in []*Value) *Value { return Neg(in[0]) }, ref: mapRef(func(v float64) float64 { return -v })},
		{name: "add_scalar", shapes: s, f: func(in []*Value) *Value { return AddScalar(in[0], 0.25) }, ref: mapRef(func(v float64) float64 { return v + 0.25 })},
		{name: "exp", shapes: s, f: func(in []*Value) *Value { return Exp(in[0]) }, ref: mapRef(math.Exp)},
		{name: "log", shapes: s, init: positive, f: func(in []*Value) *Value { return Log(in[0]) }, ref: mapRef(math.Log)},
		{name: "sigmoid", shapes: s, f: func(in []*Value) *Value { return Sigmoid(in[0]) }, ref: mapRef(sig)},
		{name: "log_sigmoid", shapes: s, init: func(r *rand.Rand, _ int, x []float64) {
			for j := range x {
				x[j] = 8 * r.NormFloat64()
			}
		}, f: func(in []*Value) *Value { return LogSigmoid(in[0]) }, ref: mapRef(func(v float64) float64 { return math.Log(sig(v)) })},
		{name: "silu", shapes: s, f: func(in []*Value) *Value { return SiLU(in[0]) }, ref: mapRef(func(v float64) float64 { return v * sig(v) })},
		{name: "clamp", shapes: s, f: func(in []*Value) *Value { return Clamp(in[0], -0.5, 0.7) }, ref: mapRef(func(v float64) float64 { return math.Min(math.Max(v, -0.5), 0.7) })},
		{name: "where", shapes: [][]int{{3, 5}, {3, 5}}, f: func(in []*Value) *Value { return Where(cond, in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 15)
				for i, c := range cond {
					if c {
						o[i] = in[0][i]
					} else {
						o[i] = in[1][i]
					}
				}
				return o
			}},
	})
}

func TestLogSigmoidExtremes(t *testing.T) {
	x := NewParam([]float32{-200, -30, 0, 30, 200}, 5)
	y := LogSigmoid(x)
	want := []float64{-200, -30, math.Log(0.5), -math.Exp(-30), 0}
	for i, w := range want {
		if d := math.Abs(float64(y.Data[i]) - w); d > 1e-6*math.Max(1, math.Abs(w)) {
			t.Fatalf("LogSigmoid(%v) = %v, want %v", x.Data[i], y.Data[i], w)
		}
	}
	if err := Sum(y).Backward(); err != nil {
		t.Fatal(err)
	}
	if x.Grad[0] != 1 || x.Grad[4] != 0 || math.Abs(float64(x.Grad[2])-0.5) > 1e-7 {
		t.Fatalf("LogSigmoid gradient at extremes: %v", x.Grad)
	}
}

func TestReduceGrad(t *testing.T) {
	mask := []float32{1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0}
	runCases(t, []gradCase{
		{name: "sum", shapes: [][]int{{4, 3}}, f: func(in []*Value) *Value { return Sum(in[0]) },
			ref: func(in [][]float64) []float64 {
				var s float64
				for _, v := range in[0] {
					s += v
				}
				return []float64{s}
			}},
		{name: "mean", shapes: [][]int{{4, 3}}, f: func(in []*Value) *Value { return Mean(in[0]) },
			ref: func(in [][]float64) []float64 {
				var s float64
				for _, v := range in[0] {
					s += v
				}
				return []float64{s / 12}
			}},
		{name: "masked_sum", shapes: [][]int{{2, 2, 3}}, f: func(in []*Value) *Value { return MaskedSum(in[0], mask) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 4)
				for i, v := range in[0] {
					o[i/3] += v * float64(mask[i])
				}
				return o
			}},
		{name: "row_sum", shapes: [][]int{{4, 3}}, f: func(in []*Value) *Value { return MaskedSum(in[0], nil) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 4)
				for i, v := range in[0] {
					o[i/3] += v
				}
				return o
			}},
		{name: "masked_mean", shapes: [][]int{{4, 3}}, f: func(in []*Value) *Value { return MaskedMean(in[0], mask) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 4)
				for r := 0; r < 4; r++ {
					var s, c float64
					for j := 0; j < 3; j++ {
						s += in[0][r*3+j] * float64(mask[r*3+j])
						c += float64(mask[r*3+j])
					}
					if c > 0 {
						o[r] = s / c
					}
				}
				return o
			}},
	})
}

func TestShapeOpsGrad(t *testing.T) {
	// x [2,3,4] with element (i,j,k) at 12i+4j+k
	runCases(t, []gradCase{
		{name: "reshape", shapes: [][]int{{2, 3, 4}}, f: func(in []*Value) *Value { return Mul(Reshape(in[0], 6, -1), Reshape(in[0], 6, 4)) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 24)
				for i, v := range in[0] {
					o[i] = v * v
				}
				return o
			}},
		{name: "transpose", shapes: [][]int{{2, 3, 4}}, f: func(in []*Value) *Value { return Transpose(in[0], 0, 2) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 24) // [4,3,2]
				for i := 0; i < 2; i++ {
					for j := 0; j < 3; j++ {
						for k := 0; k < 4; k++ {
							o[k*6+j*2+i] = in[0][12*i+4*j+k]
						}
					}
				}
				return o
			}},
		{name: "slice", shapes: [][]int{{2, 3, 4}}, f: func(in []*Value) *Value { return Slice(in[0], 2, 1, 3) },
			ref: func(in [][]float64) []float64 {
				var o []float64
				for i := 0; i < 2; i++ {
					for j := 0; j < 3; j++ {
						for k := 1; k < 3; k++ {
							o = append(o, in[0][12*i+4*j+k])
						}
					}
				}
				return o
			}},
		{name: "concat", shapes: [][]int{{2, 1, 2}, {2, 3, 2}}, f: func(in []*Value) *Value { return Concat(1, in[0], in[1], in[0]) },
			ref: func(in [][]float64) []float64 {
				var o []float64
				for i := 0; i < 2; i++ {
					o = append(o, in[0][i*2:i*2+2]...)
					o = append(o, in[1][i*6:i*6+6]...)
					o = append(o, in[0][i*2:i*2+2]...)
				}
				return o
			}},
	})
}

func refMatMul(a, b []float64, batch, m, n, k int, ta, tb, sharedB bool) []float64 {
	o := make([]float64, batch*m*n)
	for bi := 0; bi < batch; bi++ {
		ab := a[bi*m*k:]
		bb := b
		if !sharedB {
			bb = b[bi*k*n:]
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					av := ab[i*k+p]
					if ta {
						av = ab[p*m+i]
					}
					bv := bb[p*n+j]
					if tb {
						bv = bb[j*k+p]
					}
					s += av * bv
				}
				o[bi*m*n+i*n+j] = s
			}
		}
	}
	return o
}

func TestMatMulGrad(t *testing.T) {
	var cases []gradCase
	const m, n, k = 3, 4, 5
	for _, shared := range []bool{false, true} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				ta, tb, shared := ta, tb, shared
				as := []int{2, m, k}
				if ta {
					as = []int{2, k, m}
				}
				bs := []int{2, k, n}
				if tb {
					bs = []int{2, n, k}
				}
				if shared {
					bs = bs[1:]
				}
				cases = append(cases, gradCase{
					name:   "matmul" + shapeStr(as...) + shapeStr(bs...),
					shapes: [][]int{as, bs},
					f:      func(in []*Value) *Value { return MatMul(in[0], in[1], ta, tb) },
					ref:    func(in [][]float64) []float64 { return refMatMul(in[0], in[1], 2, m, n, k, ta, tb, shared) },
				})
			}
		}
	}
	cases = append(cases, gradCase{
		name: "linear", shapes: [][]int{{2, 3, 5}, {4, 5}},
		f:   func(in []*Value) *Value { return Linear(in[0], in[1]) },
		ref: func(in [][]float64) []float64 { return refMatMul(in[0], in[1], 1, 6, 4, 5, false, true, true) },
	})
	runCases(t, cases)
}

func TestEmbeddingGrad(t *testing.T) {
	ids := []int{3, 1, 3, 6, 0}
	runCases(t, []gradCase{{
		name: "embedding", shapes: [][]int{{7, 5}},
		f: func(in []*Value) *Value { return Embedding(in[0], ids) },
		ref: func(in [][]float64) []float64 {
			var o []float64
			for _, id := range ids {
				o = append(o, in[0][id*5:id*5+5]...)
			}
			return o
		},
	}})
}

func refRMSNorm(x, w []float64, n int, eps float64) []float64 {
	o := make([]float64, len(x))
	for r := 0; r < len(x)/n; r++ {
		var ss float64
		for j := 0; j < n; j++ {
			ss += x[r*n+j] * x[r*n+j]
		}
		inv := 1 / math.Sqrt(ss/float64(n)+eps)
		for j := 0; j < n; j++ {
			o[r*n+j] = w[j] * x[r*n+j] * inv
		}
	}
	return o
}

func TestFusedGrad(t *testing.T) {
	small := func(r *rand.Rand, i int, x []float64) { // small rows make eps matter
		for j := range x {
			x[j] = r.NormFloat64() * 0.003
		}
	}
	runCases(t, []gradCase{
		{name: "rmsnorm", shapes: [][]int{{2, 3, 8}, {8}},
			f:   func(in []*Value) *Value { return RMSNorm(in[0], in[1], 1e-5) },
			ref: func(in [][]float64) []float64 { return refRMSNorm(in[0], in[1], 8, 1e-5) }},
		{name: "rmsnorm-small", shapes: [][]int{{4, 6}, {6}}, init: func(r *rand.Rand, i int, x []float64) {
			if i == 0 {
				small(r, i, x)
				return
			}
			for j := range x {
				x[j] = 1 + 0.1*r.NormFloat64()
			}
		},
			f:   func(in []*Value) *Value { return RMSNorm(in[0], in[1], 1e-5) },
			ref: func(in [][]float64) []float64 { return refRMSNorm(in[0], in[1], 6, 1e-5) }},
		{name: "swiglu", shapes: [][]int{{3, 7}, {3, 7}},
			f: func(in []*Value) *Value { return SwiGLU(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 21)
				for i := range o {
					g := in[0][i]
					o[i] = g * sig(g) * in[1][i]
				}
				return o
			}},
	})
}

// ropeTables returns cos/sin tables for maxPos positions and head dim d.
func ropeTables(maxPos, d int) (cos, sin []float32, ang [][]float64) {
	h := d / 2
	cos, sin = make([]float32, maxPos*h), make([]float32, maxPos*h)
	ang = make([][]float64, maxPos)
	for p := 0; p < maxPos; p++ {
		ang[p] = make([]float64, h)
		for i := 0; i < h; i++ {
			a := float64(float32(float64(p) * math.Pow(10000, -float64(2*i)/float64(d))))
			ang[p][i] = a
			cos[p*h+i], sin[p*h+i] = float32(math.Cos(a)), float32(math.Sin(a))
		}
	}
	return
}

func TestRoPEGrad(t *testing.T) {
	const nh, d = 2, 8
	pos := []int{4, 0, 9, 2, 2, 11}
	cos, sin, _ := ropeTables(12, d)
	runCases(t, []gradCase{{
		name: "rope", shapes: [][]int{{2, 3, nh * d}},
		f: func(in []*Value) *Value { return RoPE(in[0], nh, pos, cos, sin) },
		ref: func(in [][]float64) []float64 {
			o := make([]float64, len(in[0]))
			h := d / 2
			for r, p := range pos {
				for hd := 0; hd < nh; hd++ {
					x := in[0][r*nh*d+hd*d:]
					y := o[r*nh*d+hd*d:]
					for i := 0; i < h; i++ {
						c, s := float64(cos[p*h+i]), float64(sin[p*h+i])
						y[i] = x[i]*c - x[i+h]*s
						y[i+h] = x[i+h]*c + x[i]*s
					}
				}
			}
			return o
		},
	}})
}

func refAttention(q, k, v []float64, b, t, nh, nkv, d int) []float64 {
	o := make([]float64, b*t*nh*d)
	group := nh / nkv
	sc := 1 / math.Sqrt(float64(d))
	for bi := 0; bi < b; bi++ {
		for h := 0; h < nh; h++ {
			kh := h / group
			for i := 0; i < t; i++ {
				qi := q[(bi*t+i)*nh*d+h*d:]
				s := make([]float64, i+1)
				m := math.Inf(-1)
				for j := 0; j <= i; j++ {
					kj := k[(bi*t+j)*nkv*d+kh*d:]
					var dot float64
					for x := 0; x < d; x++ {
						dot += qi[x] * kj[x]
					}
					s[j] = dot * sc
					m = math.Max(m, s[j])
				}
				var z float64
				for j := range s {
					s[j] = math.Exp(s[j] - m)
					z += s[j]
				}
				for j := range s {
					vj := v[(bi*t+j)*nkv*d+kh*d:]
					for x := 0; x < d; x++ {
						o[(bi*t+i)*nh*d+h*d+x] += s[j] / z * vj[x]
					}
				}
			}
		}
	}
	return o
}

func TestAttentionGrad(t *testing.T) {
	const b, tt, nh, nkv, d = 2, 5, 4, 2, 4
	runCases(t, []gradCase{
		{name: "attention-gqa", shapes: [][]int{{b, tt, nh * d}, {b, tt, nkv * d}, {b, tt, nkv * d}},
			f:   func(in []*Value) *Value { return Attention(in[0], in[1], in[2], nh, nkv) },
			ref: func(in [][]float64) []float64 { return refAttention(in[0], in[1], in[2], b, tt, nh, nkv, d) }},
		{name: "attention-2d-mha", shapes: [][]int{{6, 2 * 8}, {6, 2 * 8}, {6, 2 * 8}},
			f:   func(in []*Value) *Value { return Attention(in[0], in[1], in[2], 2, 2) },
			ref: func(in [][]float64) []float64 { return refAttention(in[0], in[1], in[2], 1, 6, 2, 2, 8) }},
		{name: "attention-long", shapes: [][]int{{2, 70, 4 * 16}, {2, 70, 2 * 16}, {2, 70, 2 * 16}}, sample: 16,
			f:   func(in []*Value) *Value { return Attention(in[0], in[1], in[2], 4, 2) },
			ref: func(in [][]float64) []float64 { return refAttention(in[0], in[1], in[2], 2, 70, 4, 2, 16) }},
		{name: "attention-const-kv", shapes: [][]int{{1, 4, 8}, {1, 4, 4}, {1, 4, 4}}, noGrad: []bool{false, true, false},
			f:   func(in []*Value) *Value { return Attention(in[0], in[1], in[2], 2, 1) },
			ref: func(in [][]float64) []float64 { return refAttention(in[0], in[1], in[2], 1, 4, 2, 1, 4) }},
	})
}

func refLogSoftmax(x []float64, n int) []float64 {
	o := make([]float64, len(x))
	for r := 0; r < len(x)/n; r++ {
		m := math.Inf(-1)
		for j := 0; j < n; j++ {
			m = math.Max(m, x[r*n+j])
		}
		var z float64
		for j := 0; j < n; j++ {
			z += math.Exp(x[r*n+j] - m)
		}
		for j := 0; j < n; j++ {
			o[r*n+j] = x[r*n+j] - m - math.Log(z)
		}
	}
	return o
}

func TestSoftmaxFamilyGrad(t *testing.T) {
	targets := []int{2, -1, 0, 6, 6, 3}
	runCases(t, []gradCase{
		{name: "softmax", shapes: [][]int{{2, 3, 7}}, f: func(in []*Value) *Value { return Softmax(in[0]) },
			ref: func(in [][]float64) []float64 {
				o := refLogSoftmax(in[0], 7)
				for i := range o {
					o[i] = math.Exp(o[i])
				}
				return o
			}},
		{name: "log_softmax", shapes: [][]int{{2, 3, 7}}, f: func(in []*Value) *Value { return LogSoftmax(in[0]) },
			ref: func(in [][]float64) []float64 { return refLogSoftmax(in[0], 7) }},
		{name: "token_log_probs", shapes: [][]int{{2, 3, 7}}, f: func(in []*Value) *Value { return TokenLogProbs(in[0], targets) },
			ref: func(in [][]float64) []float64 {
				ls := refLogSoftmax(in[0], 7)
				o := make([]float64, 6)
				for r, tg := range targets {
					if tg >= 0 {
						o[r] = ls[r*7+tg]
					}
				}
				return o
			}},
		{name: "cross_entropy", shapes: [][]int{{6, 7}}, f: func(in []*Value) *Value { return CrossEntropy(in[0], targets) },
			ref: func(in [][]float64) []float64 {
				ls := refLogSoftmax(in[0], 7)
				var s float64
				for r, tg := range targets {
					if tg >= 0 {
						s -= ls[r*7+tg]
					}
				}
				return []float64{s / 5}
			}},
	})
}

func TestWeightedCrossEntropyGrad(t *testing.T) {
	targets := []int{2, -1, 0, 6, 6}
	weights := []float32{1, 5, 0, 0.5, 2}
	runCases(t, []gradCase{{
		name: "weighted_cross_entropy", shapes: [][]int{{5, 7}},
		f: func(in []*Value) *Value {
			l := WeightedCrossEntropy(in[0], targets, weights)
			if len(l.Shape) != 0 {
				panic("WeightedCrossEntropy is not a scalar")
			}
			return l
		},
		ref: func(in [][]float64) []float64 {
			ls := refLogSoftmax(in[0], 7)
			var s, tot float64
			for r, tg := range targets {
				if tg >= 0 {
					s -= float64(weights[r]) * ls[r*7+tg]
					tot += float64(weights[r])
				}
			}
			return []float64{s / tot}
		},
	}})
}

// refAttentionAt: queries at positions p0+i over tk keys (only 0..p0+i used).
func refAttentionAt(q, k, v []float64, b, tq, tk, p0, nh, nkv, d int) []float64 {
	o := make([]float64, b*tq*nh*d)
	group := nh / nkv
	sc := 1 / math.Sqrt(float64(d))
	for bi := 0; bi < b; bi++ {
		for h := 0; h < nh; h++ {
			kh := h / group
			for i := 0; i < tq; i++ {
				qi := q[(bi*tq+i)*nh*d+h*d:]
				last := p0 + i
				s := make([]float64, last+1)
				m := math.Inf(-1)
				for j := 0; j <= last; j++ {
					kj := k[(bi*tk+j)*nkv*d+kh*d:]
					var dot float64
					for x := 0; x < d; x++ {
						dot += qi[x] * kj[x]
					}
					s[j] = dot * sc
					m = math.Max(m, s[j])
				}
				var z float64
				for j := range s {
					s[j] = math.Exp(s[j] - m)
					z += s[j]
				}
				for j := range s {
					vj := v[(bi*tk+j)*nkv*d+kh*d:]
					for x := 0; x < d; x++ {
						o[(bi*tq+i)*nh*d+h*d+x] += s[j] / z * vj[x]
					}
				}
			}
		}
	}
	return o
}

func TestAttentionAtGrad(t *testing.T) {
	const b, tq, tk, p0, nh, nkv, d = 2, 4, 9, 3, 4, 2, 4 // keys 7, 8 unused
	runCases(t, []gradCase{{
		name: "attention-at", shapes: [][]int{{b, tq, nh * d}, {b, tk, nkv * d}, {b, tk, nkv * d}},
		f:   func(in []*Value) *Value { return AttentionAt(in[0], in[1], in[2], nh, nkv, p0) },
		ref: func(in [][]float64) []float64 { return refAttentionAt(in[0], in[1], in[2], b, tq, tk, p0, nh, nkv, d) },
	}})
}

// TestAttentionSharedPrefix: two continuations attending to one shared
// prompt prefix (Concat of the prefix keys/values) give the same outputs and
// summed prefix gradients as running each full sequence separately.
func TestAttentionSharedPrefix(t *testing.T) {
	const p, c, nh, nkv, d = 5, 3, 2, 1, 4
	r := rand.New(rand.NewPCG(9, 9))
	rnd := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	pk, pv := rnd(p*nkv*d), rnd(p*nkv*d)
	cq, ck, cv := [2][]float32{rnd(c * nh * d), rnd(c * nh * d)}, [2][]float32{rnd(c * nkv * d), rnd(c * nkv * d)}, [2][]float32{rnd(c * nkv * d), rnd(c * nkv * d)}
	seed := rnd(2 * c * nh * d)
	// shared
	PK, PV := NewParam(append([]float32(nil), pk...), 1, p, nkv*d), NewParam(append([]float32(nil), pv...), 1, p, nkv*d)
	Q := NewParam(append(append([]float32(nil), cq[0]...), cq[1]...), 2, c, nh*d)
	K := Concat(1, Concat(0, PK, PK), FromSlice(append(append([]float32(nil), ck[0]...), ck[1]...), 2, c, nkv*d))
	V := Concat(1, Concat(0, PV, PV), FromSlice(append(append([]float32(nil), cv[0]...), cv[1]...), 2, c, nkv*d))
	out := AttentionAt(Q, K, V, nh, nkv, p)
	if err := out.BackwardWith(seed); err != nil {
		t.Fatal(err)
	}
	// separate full sequences; queries for the prompt rows get zero seed
	gk := make([]float32, len(pk))
	for s := 0; s < 2; s++ {
		q := NewParam(append(make([]float32, p*nh*d), cq[s]...), 1, p+c, nh*d)
		kk := NewParam(append(append([]float32(nil), pk...), ck[s]...), 1, p+c, nkv*d)
		vv := NewParam(append(append([]float32(nil), pv...), cv[s]...), 1, p+c, nkv*d)
		o := Attention(q, kk, vv, nh, nkv)
		sd := append(make([]float32, p*nh*d), seed[s*c*nh*d:(s+1)*c*nh*d]...)
		for i := 0; i < c*nh*d; i++ {
			if math.Abs(float64(o.Data[p*nh*d+i]-out.Data[s*c*nh*d+i])) > 1e-5 {
				t.Fatalf("continuation %d output %d differs", s, i)
			}
		}
		if err := o.BackwardWith(sd); err != nil {
			t.Fatal(err)
		}
		for i := range gk {
			gk[i] += kk.Grad[i]
		}
		for i := 0; i < c*nh*d; i++ {
			if math.Abs(float64(q.Grad[p*nh*d+i]-Q.Grad[s*c*nh*d+i])) > 1e-5 {
				t.Fatalf("continuation %d dq %d differs", s, i)
			}
		}
	}
	for i := range gk {
		if math.Abs(float64(gk[i]-PK.Grad[i])) > 1e-5 {
			t.Fatalf("prefix dk[%d]: shared %v, separate sum %v", i, PK.Grad[i], gk[i])
		}
	}
}
