package kernels

import (
	"fmt"
	"math"
	"testing"
)

// Attention and AttentionBackward on every path against a naive float64
// full-matrix reference, finite differences and the generic versions, with
// GQA, decode (NQ=1, long cache), chunked prefill (QPos0 > 0) and padded
// strides. The tiled implementation is also run directly on every path
// (on the generic path with the portable tile kernel).

type attnCase struct {
	name string
	s    AttnShape
}

func attnCases(short bool) []attnCase {
	mk := func(name string, nq, nkv, nh, nkvh, d, qpos, pad int) attnCase {
		s := AttnShape{NQ: nq, NKV: nkv, NHeads: nh, NKVHeads: nkvh, HeadDim: d, QPos0: qpos,
			Scale: float32(1 / math.Sqrt(float64(d)))}
		if pad > 0 {
			s.QStride, s.KVStride, s.OStride = nh*d+pad, nkvh*d+2*pad+1, nh*d+3*pad
		}
		return attnCase{name, s}
	}
	cs := []attnCase{
		mk("tiny", 1, 1, 1, 1, 4, 0, 0),
		mk("prefill-gqa", 23, 23, 4, 2, 8, 0, 0),
		mk("prefill-tiles", 70, 70, 8, 2, 64, 0, 0),
		mk("prefill-odd-dim", 37, 37, 6, 3, 20, 0, 3),
		mk("chunk", 19, 90, 4, 1, 32, 71, 2),
		mk("decode", 1, 300, 8, 2, 64, 299, 0),
		mk("decode-mha", 1, 130, 4, 4, 16, 129, 1),
		mk("decode-odd", 1, 67, 3, 1, 12, 66, 0),
		mk("two-blocks-stride", 33, 40, 2, 2, 24, 7, 5),
		mk("unused-keys", 5, 40, 4, 2, 8, 10, 1), // keys 15..39 are never attended
		mk("unused-keys-tiles", 40, 100, 4, 2, 16, 20, 2),
	}
	if !short {
		cs = append(cs, mk("prefill-long", 200, 200, 8, 2, 64, 0, 0), mk("decode-long", 1, 1000, 8, 2, 64, 999, 0))
	}
	return cs
}

type attnData struct {
	q, k, v, out, lse, dout []float32
}

func newAttnData(s AttnShape, seed uint64) attnData {
	qs, kvs, os := s.strides()
	r := newRand()
	for range seed {
		r.Uint64()
	}
	var a attnData
	a.q = make([]float32, (s.NQ-1)*qs+s.NHeads*s.HeadDim)
	a.k = make([]float32, (s.NKV-1)*kvs+s.NKVHeads*s.HeadDim)
	a.v = make([]float32, len(a.k))
	a.out = make([]float32, (s.NQ-1)*os+s.NHeads*s.HeadDim)
	a.dout = make([]float32, len(a.out))
	a.lse = make([]float32, s.NQ*s.NHeads)
	randSlice(r, a.q, -2, 2)
	randSlice(r, a.k, -2, 2)
	randSlice(r, a.v, -1, 1)
	randSlice(r, a.dout, -1, 1)
	return a
}

// attnRef64 is the naive float64 reference: full score matrix per head.
func attnRef64(s AttnShape, q, k, v []float64) (out, lse []float64) {
	qs, kvs, os := s.strides()
	d, group := s.HeadDim, s.NHeads/s.NKVHeads
	out = make([]float64, (s.NQ-1)*os+s.NHeads*d)
	lse = make([]float64, s.NQ*s.NHeads)
	sc := make([]float64, s.NKV)
	for i := 0; i < s.NQ; i++ {
		for h := 0; h < s.NHeads; h++ {
			kvh := (h / group) * d
			m := math.Inf(-1)
			n := s.QPos0 + i + 1
			for j := 0; j < n; j++ {
				var dp float64
				for x := 0; x < d; x++ {
					dp += q[i*qs+h*d+x] * k[j*kvs+kvh+x]
				}
				sc[j] = dp * float64(s.Scale)
				m = math.Max(m, sc[j])
			}
			var l float64
			for j := 0; j < n; j++ {
				sc[j] = math.Exp(sc[j] - m)
				l += sc[j]
			}
			for j := 0; j < n; j++ {
				for x := 0; x < d; x++ {
					out[i*os+h*d+x] += sc[j] / l * v[j*kvs+kvh+x]
				}
			}
			lse[i*s.NHeads+h] = m + math.Log(l)
		}
	}
	return
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// attnOutIndex lists the element indices of out (or q) that hold data.
func attnIndex(rows, stride, width int) []int {
	var idx []int
	for i := 0; i < rows; i++ {
		for x := 0; x < width; x++ {
			idx = append(idx, i*stride+x)
		}
	}
	return idx
}

func checkAttnForward(t *testing.T, tag string, s AttnShape, a attnData, out, lse []float32) {
	t.Helper()
	_, _, os := s.strides()
	wantOut, wantLSE := attnRef64(s, to64(a.q), to64(a.k), to64(a.v))
	// Scores q·k*scale carry error ~ d eps |q||k| scale (<= 4 d eps scale
	// here); the output, an average of |v| <= 1, inherits it, plus the
	// rescaling and sum of up to NKV terms.
	tol := eps32 * (4*float64(s.HeadDim)*float64(s.Scale)*4 + float64(s.NKV)/4 + 16)
	for _, i := range attnIndex(s.NQ, os, s.NHeads*s.HeadDim) {
		if !near(out[i], wantOut[i], 0, tol) {
			t.Fatalf("%s: out[%d] = %v want %v (tol %.2g)", tag, i, out[i], wantOut[i], tol)
		}
	}
	for i, w := range wantLSE {
		if !near(lse[i], w, 0, tol*(1+math.Abs(w))) {
			t.Fatalf("%s: lse[%d] = %v want %v", tag, i, lse[i], w)
		}
	}
	// Padding between rows is left alone.
	for i := range out {
		if i%os >= s.NHeads*s.HeadDim && out[i] != 0 {
			t.Fatalf("%s: wrote padding out[%d] = %v", tag, i, out[i])
		}
	}
}

func TestAttentionPaths(t *testing.T) {
	cases := attnCases(testing.Short())
	forPaths(t, func(t *testing.T, p Path) {
		for ci, c := range cases {
			a := newAttnData(c.s, uint64(ci))
			for _, impl := range []struct {
				name string
				fn   func(AttnShape, []float32, []float32, []float32, []float32, []float32)
			}{{"Attention", Attention}, {"tiled", attentionTiled}, {"generic", attentionGeneric}} {
				og, lg := newGuard(len(a.out), 1), newGuard(len(a.lse), 2)
				clear(og.values)
				impl.fn(c.s, a.q, a.k, a.v, og.values, lg.values)
				tag := fmt.Sprintf("%s/%s", c.name, impl.name)
				checkAttnForward(t, tag, c.s, a, og.values, lg.values)
				og.check(t, tag+" out")
				lg.check(t, tag+" lse")
			}
		}
	})
}

// TestAttentionBackwardFD checks the gradients against central finite
// differences of the float64 reference of loss = sum(dOut * Out) (computed
// once per case; every path and implementation is compared with them).
func TestAttentionBackwardFD(t *testing.T) {
	all := attnCases(true)
	cases := []attnCase{all[1], all[7], all[8], all[9]}
	cases[2].s.NQ, cases[2].s.NKV, cases[2].s.QPos0 = 5, 9, 4 // keep it small
	type grads struct{ dq, dk, dv []float64 }
	data := make([]attnData, len(cases))
	want := make([]grads, len(cases))
	for ci, c := range cases {
		s := c.s
		a := newAttnData(s, uint64(ci+100))
		data[ci] = a
		_, _, os := s.strides()
		q64, k64, v64, do64 := to64(a.q), to64(a.k), to64(a.v), to64(a.dout)
		loss := func() float64 {
			o, _ := attnRef64(s, q64, k64, v64)
			var l float64
			for _, i := range attnIndex(s.NQ, os, s.NHeads*s.HeadDim) {
				l += o[i] * do64[i]
			}
			return l
		}
		fd := func(x []float64) []float64 {
			g := make([]float64, len(x))
			for i := range x {
				const h = 1e-5
				old := x[i]
				x[i] = old + h
				lp := loss()
				x[i] = old - h
				lm := loss()
				x[i] = old
				g[i] = (lp - lm) / (2 * h)
			}
			return g
		}
		want[ci] = grads{fd(q64), fd(k64), fd(v64)}
	}
	forPaths(t, func(t *testing.T, p Path) {
		for ci, c := range cases {
			s, a := c.s, data[ci]
			Attention(s, a.q, a.k, a.v, a.out, a.lse)
			impls := map[string]func(AttnShape, []float32, []float32, []float32, []float32, []float32, []float32, []float32, []float32, []float32){
				"AttentionBackward": AttentionBackward, "tiled": attentionBackwardTiled, "generic": attentionBackwardGeneric}
			for name, fn := range impls {
				dq, dk, dv := make([]float32, len(a.q)), make([]float32, len(a.k)), make([]float32, len(a.v))
				for i := range dq {
					dq[i] = 0.5 // accumulation: the result is added
				}
				fn(s, a.q, a.k, a.v, a.out, a.dout, a.lse, dq, dk, dv)
				for _, g := range []struct {
					name string
					want []float64
					got  []float32
					base float32
				}{{"dq", want[ci].dq, dq, 0.5}, {"dk", want[ci].dk, dk, 0}, {"dv", want[ci].dv, dv, 0}} {
					for i, w := range g.want {
						if !near(g.got[i]-g.base, w, 1e-3, 2e-5) {
							t.Fatalf("%s %s/%s: %s[%d] = %v, finite differences %v", p, c.name, name, g.name, i, g.got[i]-g.base, w)
						}
					}
				}
			}
		}
	})
}

// TestAttentionBackwardPaths compares the dispatched and tiled backward with
// the generic one on the larger shapes.
func TestAttentionBackwardPaths(t *testing.T) {
	cases := attnCases(testing.Short())
	forPaths(t, func(t *testing.T, p Path) {
		for ci, c := range cases {
			s := c.s
			a := newAttnData(s, uint64(ci))
			Attention(s, a.q, a.k, a.v, a.out, a.lse)
			ref := [3][]float32{make([]float32, len(a.q)), make([]float32, len(a.k)), make([]float32, len(a.v))}
			attentionBackwardGeneric(s, a.q, a.k, a.v, a.out, a.dout, a.lse, ref[0], ref[1], ref[2])
			for _, fn := range []func(AttnShape, []float32, []float32, []float32, []float32, []float32, []float32, []float32, []float32, []float32){AttentionBackward, attentionBackwardTiled} {
				got := [3][]float32{make([]float32, len(a.q)), make([]float32, len(a.k)), make([]float32, len(a.v))}
				fn(s, a.q, a.k, a.v, a.out, a.dout, a.lse, got[0], got[1], got[2])
				for w := range got {
					var mx float64
					for _, x := range ref[w] {
						mx = math.Max(mx, math.Abs(float64(x)))
					}
					// Sums of up to NKV (or NQ*group) products in two orders.
					tol := eps32 * float64(64+s.NKV+s.NQ*s.NHeads/s.NKVHeads) * (mx + 1)
					for i := range ref[w] {
						if !near(got[w][i], float64(ref[w][i]), 0, tol) {
							t.Fatalf("%s: grad %d [%d] = %v want %v (tol %.2g)", c.name, w, i, got[w][i], ref[w][i], tol)
						}
					}
				}
			}
		}
	})
}

func TestAttentionBadShapesPanic(t *testing.T) {
	s := AttnShape{NQ: 2, NKV: 2, NHeads: 2, NKVHeads: 1, HeadDim: 4, Scale: 0.5}
	ok := make([]float32, 16)
	for name, fn := range map[string]func(){
		"short q":     func() { Attention(s, ok[:10], ok, ok, ok, nil) },
		"short k":     func() { Attention(s, ok, ok[:3], ok, ok, nil) },
		"short lse":   func() { Attention(s, ok, ok, ok, ok, ok[:3]) },
		"bad heads":   func() { s := s; s.NKVHeads = 3; Attention(s, ok, ok, ok, ok, nil) },
		"beyond keys": func() { s := s; s.QPos0 = 1; Attention(s, ok, ok, ok, ok, nil) },
		"small stride": func() {
			s := s
			s.QStride = 3
			Attention(s, ok, ok, ok, ok, nil)
		},
		"backward no lse": func() { AttentionBackward(s, ok, ok, ok, ok, ok, nil, ok, ok, ok) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}
