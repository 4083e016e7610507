package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Guard-region GEMM tests: every available path against a float64
// reference, with NaN in every A/B element the call must not read,
// sentinels around and between the rows of C, and NaN in C when beta == 0.

const cSentinel = float32(12345.5)

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	offA, offB     int // leading unused elements (unaligned starts)
	padA, padB     int // leading dimension minus row length
	padC, offC     int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g offs=%d/%d/%d pads=%d/%d/%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.offA, tc.offB, tc.offC, tc.padA, tc.padB, tc.padC)
}

// operand is a stored matrix inside a larger NaN/sentinel-filled buffer.
type operand struct {
	buf        []float32
	off, ld    int
	rows, cols int
}

const gemmGuardLen = 37

func newOperand(rng *rand.Rand, rows, cols, pad, off int, fill float32) operand {
	ld := cols + pad
	if ld == 0 {
		ld = 1
	}
	size := 0
	if rows > 0 && cols > 0 {
		size = (rows-1)*ld + cols
	}
	buf := make([]float32, off+size+gemmGuardLen)
	for i := range buf {
		buf[i] = fill
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			buf[off+r*ld+c] = 2*rng.Float32() - 1
		}
	}
	return operand{buf: buf, off: off, ld: ld, rows: rows, cols: cols}
}

// slice returns exactly the elements the matrix spans (cap extends into
// the NaN guard so an out-of-bounds read through unsafe poisons results).
func (o operand) slice() []float32 {
	size := 0
	if o.rows > 0 && o.cols > 0 {
		size = (o.rows-1)*o.ld + o.cols
	}
	return o.buf[o.off : o.off+size]
}

func (o operand) at(r, c int) float32 { return o.buf[o.off+r*o.ld+c] }

func dims(trans bool, rows, cols int) (int, int) {
	if trans {
		return cols, rows
	}
	return rows, cols
}

// refGemm returns the float64 result and, per element, the magnitude bound
// sum|alpha*a*b| + |beta*c| used to scale the tolerance.
func refGemm(tc gemmCase, A, B, C operand, bval func(r, c int) float64) (ref, mag []float64) {
	m, n, k := tc.m, tc.n, tc.k
	opA := make([]float64, m*k) // op(A) row-major
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			if tc.transA {
				opA[i*k+p] = float64(A.at(p, i))
			} else {
				opA[i*k+p] = float64(A.at(i, p))
			}
		}
	}
	opBT := make([]float64, n*k) // op(B) transposed: row j holds column j
	for j := 0; j < n; j++ {
		for p := 0; p < k; p++ {
			if tc.transB {
				opBT[j*k+p] = bval(j, p)
			} else {
				opBT[j*k+p] = bval(p, j)
			}
		}
	}
	ref = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		ar := opA[i*k : i*k+k]
		for j := 0; j < n; j++ {
			br := opBT[j*k : j*k+k]
			var s, sa float64
			for p, av := range ar {
				s += av * br[p]
				sa += math.Abs(av * br[p])
			}
			r := float64(tc.alpha) * s
			g := math.Abs(float64(tc.alpha)) * sa
			if tc.beta != 0 {
				cv := float64(C.at(i, j))
				r += float64(tc.beta) * cv
				g += math.Abs(float64(tc.beta) * cv)
			}
			ref[i*n+j] = r
			mag[i*n+j] = g
		}
	}
	return
}

// checkC compares C against ref and checks every element of C's buffer
// outside the matrix still holds the sentinel.
func checkC(t *testing.T, what string, tc gemmCase, C operand, ref, mag []float64, tol float64) bool {
	t.Helper()
	inside := make([]bool, len(C.buf))
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			idx := C.off + i*C.ld + j
			inside[idx] = true
			got := float64(C.buf[idx])
			want := ref[i*tc.n+j]
			if !(math.Abs(got-want) <= tol*(mag[i*tc.n+j]+1e-30)+1e-30) {
				t.Errorf("%s %v: C[%d,%d] = %g, want %g (tol %g)", what, tc, i, j, got, want, tol*mag[i*tc.n+j])
				return false
			}
		}
	}
	for idx, v := range C.buf {
		if !inside[idx] && v != cSentinel {
			t.Errorf("%s %v: write outside C at buffer index %d (off %d ld %d): %g", what, tc, idx, C.off, C.ld, v)
			return false
		}
	}
	return true
}

func makeC(rng *rand.Rand, tc gemmCase) operand {
	C := newOperand(rng, tc.m, tc.n, tc.padC, tc.offC, cSentinel)
	if tc.beta == 0 { // must not be read
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				C.buf[C.off+i*C.ld+j] = float32(math.NaN())
			}
		}
	}
	return C
}

func gemmTol(k int) float64 { return 2e-7 * float64(k+8) }

func runSgemmCase(t *testing.T, rng *rand.Rand, tc gemmCase) bool {
	t.Helper()
	nan := float32(math.NaN())
	ar, ac := dims(tc.transA, tc.m, tc.k)
	br, bc := dims(tc.transB, tc.k, tc.n)
	A := newOperand(rng, ar, ac, tc.padA, tc.offA, nan)
	B := newOperand(rng, br, bc, tc.padB, tc.offB, nan)
	C := makeC(rng, tc)
	ref, mag := refGemm(tc, A, B, C, func(r, c int) float64 { return float64(B.at(r, c)) })
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.slice(), A.ld, B.slice(), B.ld, tc.beta, C.slice(), C.ld)
	return checkC(t, "Sgemm/"+string(ActivePath()), tc, C, ref, mag, gemmTol(tc.k))
}

// forEachPath runs f with each available dispatch path active.
func forEachPath(t *testing.T, f func(t *testing.T, p Path)) {
	orig := ActivePath()
	t.Cleanup(func() { SetPath(orig) })
	for _, p := range AvailablePaths() {
		if !SetPath(p) {
			t.Fatalf("SetPath(%s) failed", p)
		}
		t.Run(string(p), func(t *testing.T) { f(t, p) })
	}
	SetPath(orig)
}

var edgeSizes = []int{1, 2, 5, 7, 8, 9, 15, 16, 17, 31, 33, 47, 48, 49, 63, 64, 65, 97, 128, 129, 255, 257}

// randomCases draws count cases with sizes in [0, maxSize] plus
// edge-size cases, covering transposes, alpha/beta, offsets and pads.
func randomCases(rng *rand.Rand, count, maxSize int) []gemmCase {
	alphas := []float32{1, -0.5, 2.25}
	betas := []float32{0, 1, -1.5, 0.25}
	var cs []gemmCase
	draw := func(m, n, k int) gemmCase {
		return gemmCase{
			transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
			m: m, n: n, k: k,
			alpha: alphas[rng.IntN(len(alphas))], beta: betas[rng.IntN(len(betas))],
			offA: rng.IntN(3), offB: rng.IntN(3), offC: rng.IntN(3),
			padA: rng.IntN(2) * rng.IntN(9), padB: rng.IntN(2) * rng.IntN(9), padC: rng.IntN(2) * rng.IntN(9),
		}
	}
	for i := 0; i < count; i++ {
		cs = append(cs, draw(rng.IntN(maxSize+1), rng.IntN(maxSize+1), rng.IntN(maxSize+1)))
	}
	for _, e := range edgeSizes {
		cs = append(cs, draw(e, 1+rng.IntN(70), 1+rng.IntN(70)))
		cs = append(cs, draw(1+rng.IntN(70), e, 1+rng.IntN(70)))
		cs = append(cs, draw(1+rng.IntN(70), 1+rng.IntN(70), e))
	}
	// every transpose combination with all-odd sizes and all-tile sizes
	for ta := 0; ta < 2; ta++ {
		for tb := 0; tb < 2; tb++ {
			for _, s := range [][3]int{{13, 53, 29}, {16, 96, 64}, {24, 48, 8}, {2, 3, 1}} {
				c := draw(s[0], s[1], s[2])
				c.transA, c.transB = ta == 1, tb == 1
				cs = append(cs, c)
			}
		}
	}
	return cs
}

func TestSgemmPaths(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(1, uint64(len(p))))
		count := 300
		if testing.Short() {
			count = 80
		}
		for _, tc := range randomCases(rng, count, 70) {
			if !runSgemmCase(t, rng, tc) {
				return
			}
		}
	})
}

// TestSgemmLarge crosses every blocking boundary (kc, nb, mb) and runs
// the parallel paths.
func TestSgemmLarge(t *testing.T) {
	sizes := []gemmCase{
		{m: 203, n: 317, k: 801, alpha: 1, beta: 0},
		{m: 130, n: 70, k: 390, alpha: -1, beta: 0.5, transA: true, transB: true, padA: 3, padC: 5, offB: 1},
		{m: 1601, n: 20, k: 33, alpha: 0.5, beta: 1, transB: true, offA: 1},
		{m: 64, n: 1000, k: 400, alpha: 1, beta: 0, transB: true, offC: 2},
		{m: 9, n: 2100, k: 100, alpha: 1, beta: 2, transA: true},
	}
	if testing.Short() {
		sizes = sizes[1:]
		sizes[2].n = 300
	}
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(7, 7))
		for _, tc := range sizes {
			if !runSgemmCase(t, rng, tc) {
				return
			}
		}
	})
}

// TestSgemmAlphaZero: alpha == 0 or k == 0 only scales C.
func TestSgemmAlphaZero(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(3, 3))
		for _, tc := range []gemmCase{
			{m: 5, n: 7, k: 0, alpha: 1, beta: 0.5},
			{m: 5, n: 7, k: 0, alpha: 1, beta: 0},
			{m: 1, n: 7, k: 0, alpha: 1, beta: 2},
			{m: 5, n: 7, k: 3, alpha: 0, beta: -1},
			{m: 0, n: 7, k: 3, alpha: 1, beta: 1},
			{m: 4, n: 0, k: 3, alpha: 1, beta: 1},
		} {
			runSgemmCase(t, rng, tc)
		}
	})
}

// TestSgemmGEMV covers m == 1 (the decode GEMV) on every path.
func TestSgemmGEMV(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(5, 5))
		ks := []int{1, 3, 8, 15, 16, 17, 31, 32, 33, 47, 64, 100, 257, 1030}
		ns := []int{1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 63, 64, 65, 130, 1025, 2100}
		if testing.Short() {
			ks = []int{1, 8, 15, 17, 33, 64, 257, 1030}
			ns = []int{1, 3, 4, 5, 16, 17, 65, 1025}
		}
		for _, k := range ks {
			for _, n := range ns {
				tc := gemmCase{m: 1, n: n, k: k, transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
					alpha: 1.5, beta: []float32{0, 0.5}[rng.IntN(2)],
					offA: rng.IntN(3), offB: rng.IntN(3), offC: rng.IntN(3), padA: rng.IntN(3), padB: rng.IntN(5)}
				if !runSgemmCase(t, rng, tc) {
					return
				}
				tc.m, tc.n = tc.n, 1 // the n == 1 (matrix times column) case
				tc.padC = rng.IntN(3)
				if !runSgemmCase(t, rng, tc) {
					return
				}
			}
		}
	})
}

func TestSgemmBadArgsPanic(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil {
				t.Errorf("%s: no panic", name)
			} else if s, ok := r.(string); !ok || len(s) < 10 {
				t.Errorf("%s: unclear panic %v", name, r)
			}
		}()
		f()
	}
	a := make([]float32, 6)
	mustPanic("short A", func() { Sgemm(false, false, 3, 2, 3, 1, a, 3, a, 2, 0, a, 2) })
	mustPanic("bad lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) })
	mustPanic("negative", func() { Sgemm(false, false, -1, 2, 3, 1, a, 3, a, 2, 0, a, 2) })
	h := make([]uint16, 6)
	mustPanic("half short B", func() { SgemmHalf(BF16, false, false, 2, 3, 3, 1, a, 3, h, 3, 0, a, 3, false) })
	mustPanic("half kind", func() { SgemmHalf(Half(9), false, false, 1, 1, 1, 1, a, 1, h, 1, 0, a, 1, false) })
}

// TestSgemmSmallM covers the few-rows path (C = X*W^T, W stored [N,K], m up
// to smallMMax, medium m up to 64 and past it), f32 and 16-bit
// weights, with every tail.
func TestSgemmSmallM(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(29, 29))
		ks := []int{1, 15, 16, 17, 48, 100, 1030}
		ns := []int{1, 3, 4, 5, 17, 65, 700}
		for _, m := range []int{2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 31, 64, 65} {
			for _, k := range ks {
				for _, n := range ns {
					if m > smallMMax && (n+k)%2 == 1 {
						continue // keep the larger m cheap
					}
					tc := gemmCase{m: m, n: n, k: k, transA: rng.IntN(2) == 1, transB: true,
						alpha: 0.75, beta: []float32{0, -1}[rng.IntN(2)],
						offA: rng.IntN(3), offB: rng.IntN(3), offC: rng.IntN(3), padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3)}
					if !runSgemmCase(t, rng, tc) {
						return
					}
					if (m+k+n)%3 == 0 && !runHalfCase(t, rng, []Half{BF16, F16}[rng.IntN(2)], false, tc) {
						return
					}
				}
			}
		}
	})
}
