package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// SgemmHalf tests: B in bf16/f16 (NaN in every element outside the
// matrix), checked against a float64 reference on the exactly widened B.

type halfOperand struct {
	buf     []uint16
	off, ld int
	size    int
}

func newHalfOperand(rng *rand.Rand, kind Half, rows, cols, pad, off int) halfOperand {
	ld := cols + pad
	if ld == 0 {
		ld = 1
	}
	size := 0
	if rows > 0 && cols > 0 {
		size = (rows-1)*ld + cols
	}
	nan := uint16(0x7fc0)
	if kind == F16 {
		nan = 0x7e00
	}
	buf := make([]uint16, off+size+gemmGuardLen)
	for i := range buf {
		buf[i] = nan
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			v := 2*rng.Float32() - 1
			if kind == BF16 {
				buf[off+r*ld+c] = BF16FromF32(v)
			} else {
				buf[off+r*ld+c] = F16FromF32(v)
			}
		}
	}
	return halfOperand{buf: buf, off: off, ld: ld, size: size}
}

func (o halfOperand) at(kind Half, r, c int) float64 {
	h := o.buf[o.off+r*o.ld+c]
	if kind == BF16 {
		return float64(math.Float32frombits(uint32(h) << 16))
	}
	return float64(F16ToF32One(h))
}

func runHalfCase(t *testing.T, rng *rand.Rand, kind Half, dotOK bool, tc gemmCase) bool {
	t.Helper()
	ar, ac := dims(tc.transA, tc.m, tc.k)
	br, bc := dims(tc.transB, tc.k, tc.n)
	A := newOperand(rng, ar, ac, tc.padA, tc.offA, float32(math.NaN()))
	B := newHalfOperand(rng, kind, br, bc, tc.padB, tc.offB)
	C := makeC(rng, tc)
	ref, mag := refGemm(tc, A, C, C, func(r, c int) float64 { return B.at(kind, r, c) })
	SgemmHalf(kind, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.slice(), A.ld,
		B.buf[B.off:B.off+B.size], B.ld, tc.beta, C.slice(), C.ld, dotOK)
	tol := gemmTol(tc.k)
	if dotOK {
		tol = 8e-3 // A rounded to bf16: relative error 2^-9 per product
	}
	name := map[Half]string{BF16: "bf16", F16: "f16"}[kind]
	return checkC(t, "SgemmHalf/"+name+"/"+string(ActivePath()), tc, C, ref, mag, tol)
}

func TestSgemmHalfPaths(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(11, uint64(len(p))))
		count := 120
		if testing.Short() {
			count = 25
		}
		for _, kind := range []Half{BF16, F16} {
			for _, dotOK := range []bool{false, true} {
				for i, tc := range randomCases(rng, count, 70) {
					if testing.Short() && i%2 == 1 {
						continue // every other case in -short
					}
					if !runHalfCase(t, rng, kind, dotOK, tc) {
						return
					}
				}
			}
		}
	})
}

func TestSgemmHalfLarge(t *testing.T) {
	sizes := []gemmCase{
		{m: 70, n: 517, k: 801, alpha: 1, beta: 0, transB: true, offB: 1},
		{m: 130, n: 100, k: 390, alpha: -1, beta: 0.5, transA: true, padA: 3, padC: 5},
		{m: 1, n: 3000, k: 700, alpha: 1, beta: 0, transB: true},
		{m: 1, n: 2100, k: 300, alpha: 2, beta: 1},
	}
	if testing.Short() {
		// (kc crossings are covered by the full run and TestBF16DotRoundsA)
		sizes[0].m, sizes[0].n, sizes[0].k = 9, 100, 200
		sizes[1].m, sizes[1].n, sizes[1].k = 20, 50, 200
		sizes[2].n = 500
		sizes[3].n = 300
	}
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(13, 13))
		for _, kind := range []Half{BF16, F16} {
			for _, dotOK := range []bool{false, true} {
				for _, tc := range sizes {
					if !runHalfCase(t, rng, kind, dotOK, tc) {
						return
					}
				}
			}
		}
	})
}

// TestSgemmHalfGEMV covers m == 1 with 16-bit weights and all tails.
func TestSgemmHalfGEMV(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(17, 17))
		for _, kind := range []Half{BF16, F16} {
			for _, k := range []int{1, 7, 8, 9, 16, 17, 33, 64, 100, 513} {
				for _, n := range []int{1, 3, 4, 5, 8, 15, 16, 17, 33, 67, 1040} {
					tc := gemmCase{m: 1, n: n, k: k, transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
						alpha: -0.75, beta: []float32{0, 1}[rng.IntN(2)],
						offA: rng.IntN(3), offB: rng.IntN(3), offC: rng.IntN(3), padA: rng.IntN(3), padB: rng.IntN(5)}
					if !runHalfCase(t, rng, kind, false, tc) {
						return
					}
				}
			}
		}
	})
}

// TestHalfSpecialValues: f16 subnormals/large values and bf16 extremes
// widen exactly in every path (GEMV and GEMM).
func TestHalfSpecialValues(t *testing.T) {
	f16s := []uint16{0x0001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x8001, 0x3c00, 0xbc00, 0x0000, 0x8000, 0x3555, 0x1234}
	bf16s := []uint16{0x0001, 0x007f, 0x0080, 0x7c7f, 0xfc7f, 0x8001, 0x3f80, 0xbf80, 0x0000, 0x8000, 0x3eaa, 0x1234}
	forEachPath(t, func(t *testing.T, p Path) {
		for _, kind := range []Half{BF16, F16} {
			vals := bf16s
			if kind == F16 {
				vals = f16s
			}
			k := 16
			for _, m := range []int{1, 9} {
				n := len(vals)
				b := make([]uint16, n*k) // transB: n×k
				for j := 0; j < n; j++ {
					for p := 0; p < k; p++ {
						b[j*k+p] = vals[(j+p)%len(vals)]
					}
				}
				a := make([]float32, m*k)
				for i := range a {
					a[i] = float32(i%3) - 1
				}
				got := make([]float32, m*n)
				SgemmHalf(kind, false, true, m, n, k, 1, a, k, b, k, 0, got, n, false)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var want float64
						for p := 0; p < k; p++ {
							h := b[j*k+p]
							var w float64
							if kind == BF16 {
								w = float64(math.Float32frombits(uint32(h) << 16))
							} else {
								w = float64(F16ToF32One(h))
							}
							want += float64(a[i*k+p]) * w
						}
						g := float64(got[i*n+j])
						if math.Abs(g-want) > 1e-6*math.Abs(want)+1e-44 && !(math.IsInf(want, 0) && g == want) {
							t.Fatalf("kind %d m=%d: C[%d,%d] = %g, want %g", kind, m, i, j, g, want)
						}
					}
				}
			}
		}
	})
}

// TestBF16DotRoundsA: where the bf16 dot-product path exists, it must
// really be taken (A rounded to bf16: results differ from the f32 path)
// and equal a reference computed with A rounded to bf16 (products of bf16
// values are exact in f32; only the f32 summation order differs).
func TestBF16DotRoundsA(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(19, 19))
		active := bf16DotActive()
		sizes := [][3]int{{16, 96, 64}, {9, 50, 33}, {70, 130, 801}, {10, 97, 2101}}
		if testing.Short() {
			sizes[2][0], sizes[3][1] = 17, 49
		}
		for _, s := range sizes {
			m, n, k := s[0], s[1], s[2]
			for _, transB := range []bool{false, true} {
				a := randF32(m*k, rng.Uint64())
				b := randHalf(k*n, BF16, rng.Uint64())
				ldb := n
				if transB {
					ldb = k
				}
				dotC := make([]float32, m*n)
				f32C := make([]float32, m*n)
				SgemmHalf(BF16, false, transB, m, n, k, 1, a, k, b, ldb, 0, dotC, n, true)
				SgemmHalf(BF16, false, transB, m, n, k, 1, a, k, b, ldb, 0, f32C, n, false)
				differ := false
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var want, mag float64
						for q := 0; q < k; q++ {
							av := float64(a[i*k+q])
							if active {
								av = float64(math.Float32frombits(uint32(BF16FromF32(a[i*k+q])) << 16))
							}
							bi := q*n + j
							if transB {
								bi = j*k + q
							}
							bv := float64(math.Float32frombits(uint32(b[bi]) << 16))
							want += av * bv
							mag += math.Abs(av * bv)
						}
						got := float64(dotC[i*n+j])
						if math.Abs(got-want) > 1e-6*float64(k)*mag {
							t.Fatalf("%s m=%d n=%d k=%d transB=%v: C[%d,%d] = %g, want %g (bf16 A)", p, m, n, k, transB, i, j, got, want)
						}
						if dotC[i*n+j] != f32C[i*n+j] {
							differ = true
						}
					}
				}
				if active && !differ {
					t.Errorf("%s: allowBF16Dot gave bit-identical f32 results: dot path not taken", p)
				}
			}
		}
	})
}
