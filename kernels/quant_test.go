package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

var weightQTypes = []QType{Q8_0, Q4_0, Q4_K, Q6_K}

// randWeights returns k values per row of typical weight-like data: normal
// with a scale that changes every 32 values, and now and then an outlier.
func randWeights(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	scale := 1.0
	for i := range x {
		if i%32 == 0 {
			scale = math.Pow(10, r.Float64()*2-1.5)
		}
		x[i] = float32(r.NormFloat64() * scale)
		if r.IntN(500) == 0 {
			x[i] *= 8
		}
	}
	return x
}

func quantized(t QType, x []float32) []byte {
	b := make([]byte, t.RowBytes(len(x)))
	QuantizeRow(t, b, x)
	return b
}

// TestQuantRoundTripBounds: dequantize(quantize(x)) per format: Q8_0 and
// Q4_0 within half a step of their block scale (plus the f16 rounding of
// the scale), and for every format an RMS error relative to the block RMS
// below the format's bound (4-bit about 8%, 6-bit 2%, 8-bit 0.5%).
func TestQuantRoundTripBounds(t *testing.T) {
	r := newRand()
	// bounds on the worst block and on the mean over blocks (about 1.3x the measured values)
	worstBound := map[QType]float64{Q8_0: 0.012, Q4_0: 0.18, Q4_K: 0.125, Q6_K: 0.03, Q8_K: 0.023}
	meanBound := map[QType]float64{Q8_0: 0.0065, Q4_0: 0.1, Q4_K: 0.085, Q6_K: 0.021, Q8_K: 0.014}
	for _, qt := range []QType{Q8_0, Q4_0, Q4_K, Q6_K, Q8_K} {
		// normal values, the scale changing every 32 (no outliers: they set the step)
		x := make([]float32, 256*64)
		scale := 1.0
		for i := range x {
			if i%32 == 0 {
				scale = math.Pow(10, r.Float64()*2-1.5)
			}
			x[i] = float32(r.NormFloat64() * scale)
		}
		q := quantized(qt, x)
		y := make([]float32, len(x))
		DequantizeRow(qt, y, q)
		bs := qt.BlockSize()
		var worst, mean float64
		for b := 0; b < len(x)/bs; b++ {
			var se, sx float64
			for i := b * bs; i < (b+1)*bs; i++ {
				e := float64(x[i]) - float64(y[i])
				se += e * e
				sx += float64(x[i]) * float64(x[i])
			}
			worst = max(worst, math.Sqrt(se/sx))
			mean += math.Sqrt(se/sx) / float64(len(x)/bs)
			if qt == Q8_0 || qt == Q4_0 {
				d := math.Abs(float64(f16At(q[b*qt.BlockBytes():], 0)))
				for i := b * bs; i < (b+1)*bs; i++ {
					// half a step of d (Q4_0: a whole step for values of the other sign than
					// the largest, clamped at 7 steps), plus up to 128 times the scale's f16
					// rounding (2^-11 relative)
					step := 0.5 * d
					if qt == Q4_0 {
						step = d
					}
					if e := math.Abs(float64(x[i]) - float64(y[i])); e > step+128*d/2048 {
						t.Fatalf("%s block %d value %d: error %g above the bound for step %g", qt, b, i, e, d)
					}
				}
			}
		}
		if worst > worstBound[qt] || mean > meanBound[qt] {
			t.Errorf("%s: relative RMS error of a block: worst %.4f (bound %.4f), mean %.4f (bound %.4f)", qt, worst, worstBound[qt], mean, meanBound[qt])
		}
	}
}

// refDot is the dot product of one weight row with a quantized activation
// row computed exactly from the integer sums (float64), and a bound on the
// magnitude of every partial sum any summation order can form (the sum of
// the absolute values of the products, scaled), for the tolerance.
func refDot(qt QType, w []byte, nb int, a *qAct) (float64, float64) {
	var s, mag float64
	if qt == Q8_0 || qt == Q4_0 {
		x := make([]float32, nb*32)
		DequantizeRow(qt, x, w) // exact: an f16 scale times a small integer
		for b := range nb {
			var blk, abs float64
			for j := range 32 {
				v := float64(x[32*b+j]) * float64(a.qs[32*b+j])
				blk += v
				abs += math.Abs(v)
			}
			s += blk * float64(a.d[b])
			mag += abs * math.Abs(float64(a.d[b]))
		}
		return s, mag
	}
	// K formats: the dequantized values carry the float rounding of
	// d*sc*q - dmin*m, so use the exact integer sums instead.
	bb := qt.BlockBytes()
	for b := range nb {
		blk, y, bs := w[b*bb:(b+1)*bb], a.qs[256*b:256*b+256], a.x16[qActX16*b:]
		absY := make([]int8, 256)
		for i, v := range y {
			absY[i] = int8(min(127, max(-127, int(v))))
			if v < 0 {
				absY[i] = -absY[i]
			}
		}
		absBs := make([]int16, qActX16)
		for i, v := range bs[:qActX16] {
			absBs[i] = max(v, -v)
		}
		if qt == Q4_K {
			sumi, summ := q4KSums(blk, y, bs)
			ai, am := q4KSums(blk, absY, absBs)
			dd, dm := float64(f16At(blk, 0)*a.d[b]), float64(f16At(blk, 2)*a.d[b])
			s += float64(sumi)*dd - float64(summ)*dm
			mag += math.Abs(float64(ai)*dd) + math.Abs(float64(am)*dm)
			continue
		}
		dd := float64(f16At(blk, 208) * a.d[b])
		s += float64(q6KSum(blk, y, bs)) * dd
		var abs float64
		for n := 0; n < 2; n++ {
			ql, qh := blk[64*n:], blk[128+32*n:]
			for l := range 32 {
				q := [4]int{int(ql[l]&15 | (qh[l]&3)<<4), int(ql[l+32]&15 | (qh[l]>>2&3)<<4),
					int(ql[l]>>4 | (qh[l]>>4&3)<<4), int(ql[l+32]>>4 | (qh[l]>>6&3)<<4)}
				for i, v := range q {
					p := 128*n + 32*i + l
					abs += math.Abs(float64(int8(blk[192+p/16]))) * float64(v) * math.Abs(float64(y[p]))
				}
			}
		}
		for g := range 16 {
			abs += 32 * math.Abs(float64(int8(blk[192+g]))*float64(bs[g]))
		}
		mag += abs * math.Abs(dd)
	}
	return s, mag
}

// TestQRowsKernels: every path's row kernels against the exact integer
// result: block counts with tails, 1..70 rows (every block of the
// multi-row kernels), rows padded with garbage bytes, unaligned starts,
// guarded outputs.
func TestQRowsKernels(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, qt := range weightQTypes {
			bs := qt.BlockSize()
			nbs := []int{1, 2, 3, 5, 8, 17}
			if bs == 32 {
				nbs = append(nbs, 33, 64)
			}
			for _, nb := range nbs {
				k := nb * bs
				for _, rows := range []int{1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 70} {
					if testing.Short() && rows > 17 && nb > 3 {
						continue
					}
					off := r.IntN(7)
					pad := []int{0, 3, qt.BlockBytes()}[r.IntN(3)]
					rb := qt.RowBytes(k)
					ldw := rb + pad
					w := make([]byte, off+rows*ldw)
					for i := range w {
						w[i] = byte(r.Uint32()) // garbage in the padding
					}
					for i := range rows {
						copy(w[off+i*ldw:], quantized(qt, randWeights(r, k)))
					}
					var a qAct
					a.resize(qt, k)
					x := randWeights(r, k)
					a.quantize(qt, x)
					g := newGuard(rows, r.IntN(3))
					kern.quant.rows[qt](w[off:], ldw, rows, nb, &a, g.values)
					g.check(t, qt.String()+" rows")
					for i := range rows {
						want, mag := refDot(qt, w[off+i*ldw:off+i*ldw+rb], nb, &a)
						if !near(g.values[i], want, 0, 1e-6*mag+1e-30) {
							t.Fatalf("%s nb=%d rows=%d row %d: got %g, want %g (magnitude %g)", qt, nb, rows, i, g.values[i], want, mag)
						}
					}
				}
			}
		}
	})
}

// TestQDequantKernels: every path's dequantizer gives DequantizeRow's
// values bit for bit, into guarded unaligned outputs.
func TestQDequantKernels(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, qt := range weightQTypes {
			for _, nb := range []int{1, 2, 3, 7, 16} {
				k := nb * qt.BlockSize()
				q := quantized(qt, randWeights(r, k))
				want := make([]float32, k)
				DequantizeRow(qt, want, q)
				for _, off := range testOffsets {
					g := newGuard(k, off)
					src := append(make([]byte, off), q...)[off:]
					kern.quant.dequant[qt](g.values, src)
					g.check(t, qt.String()+" dequant")
					for i := range want {
						if math.Float32bits(g.values[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s nb=%d value %d: got %g, want %g", qt, nb, i, g.values[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestQGemm: QGemm against float64 references on every path: the integer
// path (m <= qIntRowsMax) against the quantized activations times the
// dequantized weights, the panel path against the float activations (f32
// GEMM, or bf16 within bf16 rounding), padded leading dimensions, beta 0
// on a NaN-filled C, beta != 0, guards.
func TestQGemm(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, qt := range weightQTypes {
			bs := qt.BlockSize()
			ms, ns := []int{1, 2, 4, 5, 9}, []int{1, 7, 65, 130}
			if testing.Short() {
				ms, ns = []int{1, 4, 5}, []int{7, 65}
			}
			for _, m := range ms {
				for _, n := range ns {
					for _, nb := range []int{1, 3} {
						for _, bf16 := range []bool{false, true} {
							if bf16 && m <= qIntRowsMax {
								continue
							}
							testQGemmCase(t, r, qt, m, n, nb*bs, bf16)
						}
					}
				}
			}
		}
	})
}

func testQGemmCase(t *testing.T, r *rand.Rand, qt QType, m, n, k int, bf16 bool) {
	t.Helper()
	lda, ldc := k+r.IntN(3), n+r.IntN(3)
	a := make([]float32, (m-1)*lda+k)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	wf := randWeights(r, n*k)
	w := quantized(qt, wf)
	wd := make([]float32, n*k)
	DequantizeRow(qt, wd, w)
	beta := []float32{0, 1.5}[r.IntN(2)]
	g := newGuard((m-1)*ldc+n, 1)
	c := g.values
	c0 := make([]float32, len(c))
	for i := range c {
		c0[i] = float32(r.NormFloat64())
		c[i] = c0[i]
		if beta == 0 {
			c[i] = float32(math.NaN())
		}
	}
	QGemm(qt, m, n, k, a, lda, w, beta, c, ldc, bf16)
	g.check(t, "QGemm")
	for i := range m {
		row := a[i*lda : i*lda+k]
		xs := row
		tol := 2e-6
		if m <= qIntRowsMax { // the kernel sees the quantized activations
			var act qAct
			act.resize(qt, k)
			act.quantize(qt, row)
			xs = make([]float32, k)
			bsz := qtypeInfo[qt].act.BlockSize()
			for p := range xs {
				xs[p] = float32(act.qs[p]) * act.d[p/bsz]
			}
			tol = 1e-5
		} else if bf16 && kern.gemm.bf16Dot != nil {
			tol = 8e-3
		}
		for j := range n {
			var s, mag float64
			for p := range k {
				v := float64(xs[p]) * float64(wd[j*k+p])
				s += v
				mag += math.Abs(v)
			}
			if beta != 0 {
				s += float64(beta) * float64(c0[i*ldc+j])
				mag += math.Abs(float64(beta) * float64(c0[i*ldc+j]))
			}
			if got := c[i*ldc+j]; !near(got, s, 0, tol*mag+1e-30) {
				t.Fatalf("%s m=%d n=%d k=%d bf16=%v: C[%d,%d] = %g, want %g (magnitude %g)", qt, m, n, k, bf16, i, j, got, s, mag)
			}
		}
	}
}

// TestQGemmBadArguments: wrong sizes and formats panic with a message
// naming the problem.
func TestQGemmBadArguments(t *testing.T) {
	w := make([]byte, 34*4)
	a := make([]float32, 64)
	c := make([]float32, 4)
	cases := []struct {
		name string
		fn   func()
		msg  string
	}{
		{"k not a block multiple", func() { QGemm(Q8_0, 1, 2, 40, a, 40, w, 0, c, 2, false) }, "not a multiple"},
		{"short weights", func() { QGemm(Q8_0, 1, 4, 64, a, 64, w[:100], 0, c, 4, false) }, "too short"},
		{"activation format", func() { QGemm(Q8_K, 1, 1, 256, make([]float32, 256), 256, make([]byte, 292), 0, c, 1, false) }, "not a weight format"},
		{"unknown format", func() { QuantizeRow(QType(99), make([]byte, 34), make([]float32, 32)) }, "unknown quantized type"},
		{"short blocks", func() { DequantizeRow(Q4_K, make([]float32, 256), make([]byte, 143)) }, "need"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				e := recover()
				if e == nil || !strings.Contains(e.(string), tc.msg) {
					t.Fatalf("panic %v, want one containing %q", e, tc.msg)
				}
			}()
			tc.fn()
		})
	}
}

// TestQActQ8K: the Q8_K activation row holds the reference quantizer's
// values and sums.
func TestQActQ8K(t *testing.T) {
	x := randWeights(newRand(), 512)
	ref := quantized(Q8_K, x)
	var a qAct
	a.resize(Q4_K, 512)
	a.quantize(Q4_K, x)
	for b := range 2 {
		blk := ref[292*b:]
		if math.Float32bits(a.d[b]) != binary.LittleEndian.Uint32(blk) {
			t.Fatalf("block %d scale %g", b, a.d[b])
		}
		for g := range 16 {
			if a.x16[qActX16*b+g] != int16(binary.LittleEndian.Uint16(blk[260+2*g:])) {
				t.Fatalf("block %d bsum %d", b, g)
			}
		}
		for j := range 8 {
			if a.x16[qActX16*b+16+j] != a.x16[qActX16*b+2*j]+a.x16[qActX16*b+2*j+1] {
				t.Fatalf("block %d sum of 32 #%d", b, j)
			}
		}
	}
}
