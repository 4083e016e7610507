package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/x448/float16"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Sgemm and SgemmHalf against gonum's pure-Go Sgemm: an independent
// implementation (its own blocking, packing and summation order) of the
// same row-major BLAS convention. The float64 reference of gemm_test.go
// gives the magnitude that scales the tolerance; both sides round in
// float32, so they may differ by twice gemmTol.

func gonumTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// gonumCases are the random cases of gemm_test.go (every transpose pair,
// padded leading dimensions, unaligned starts, edge sizes) plus shapes
// that cross the blocking boundaries (kc, nb, mb) and run in parallel.
func gonumCases(rng *rand.Rand) []gemmCase {
	count := 200
	if testing.Short() {
		count = 60
	}
	cs := randomCases(rng, count, 90)
	return append(cs,
		gemmCase{m: 203, n: 317, k: 801, alpha: 1, beta: 0, padA: 3, offB: 2},
		gemmCase{m: 130, n: 70, k: 390, alpha: -1, beta: 0.5, transA: true, transB: true, padA: 3, padC: 5, offB: 1},
		gemmCase{m: 64, n: 1000, k: 400, alpha: 1, beta: 0, transB: true, offC: 2},
		gemmCase{m: 9, n: 700, k: 100, alpha: 1, beta: 2, transA: true, padB: 7})
}

// gonumSpan returns buf[off:], extended with NaN to at least
// (rows-1)*ld+cols elements: gonum checks that length even when the
// matrix is empty (k == 0), though it reads none of them.
func gonumSpan(buf []float32, off, rows, cols, ld int) []float32 {
	s := buf[off:]
	for len(s) < (rows-1)*ld+cols {
		s = append(s, float32(math.NaN()))
	}
	return s
}

// compareGonum checks C against gonum's result G element by element.
func compareGonum(t *testing.T, what string, tc gemmCase, C operand, G []float32, mag []float64) bool {
	t.Helper()
	tol := 2 * gemmTol(tc.k)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			got, want := float64(C.at(i, j)), float64(G[C.off+i*C.ld+j])
			if !(math.Abs(got-want) <= tol*mag[i*tc.n+j]+1e-30) {
				t.Errorf("%s %v: C[%d,%d] = %g, gonum %g (tol %g)", what, tc, i, j, got, want, tol*mag[i*tc.n+j])
				return false
			}
		}
	}
	return true
}

func TestSgemmVsGonum(t *testing.T) {
	impl := gonum.Implementation{}
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(11, uint64(len(p))))
		nan := float32(math.NaN())
		for _, tc := range gonumCases(rng) {
			ar, ac := dims(tc.transA, tc.m, tc.k)
			br, bc := dims(tc.transB, tc.k, tc.n)
			A := newOperand(rng, ar, ac, tc.padA, tc.offA, nan)
			B := newOperand(rng, br, bc, tc.padB, tc.offB, nan)
			C := makeC(rng, tc)
			G := append([]float32(nil), C.buf...)
			_, mag := refGemm(tc, A, B, C, func(r, c int) float64 { return float64(B.at(r, c)) })
			Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.slice(), A.ld, B.slice(), B.ld, tc.beta, C.slice(), C.ld)
			impl.Sgemm(gonumTrans(tc.transA), gonumTrans(tc.transB), tc.m, tc.n, tc.k, tc.alpha,
				gonumSpan(A.buf, A.off, ar, ac, A.ld), A.ld, gonumSpan(B.buf, B.off, br, bc, B.ld), B.ld,
				tc.beta, G[C.off:], C.ld)
			if !compareGonum(t, "Sgemm/"+string(p), tc, C, G, mag) {
				return
			}
		}
	})
}

// TestSgemmHalfVsGonum: SgemmHalf (without the bf16 dot product, which
// rounds A) equals gonum's Sgemm on B widened independently (bf16 by a
// shift, f16 by x448/float16).
func TestSgemmHalfVsGonum(t *testing.T) {
	impl := gonum.Implementation{}
	widen := map[Half]func(uint16) float32{
		BF16: func(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) },
		F16:  func(h uint16) float32 { return float16.Frombits(h).Float32() },
	}
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(13, uint64(len(p))))
		nan := float32(math.NaN())
		for i, tc := range gonumCases(rng) {
			kind := []Half{BF16, F16}[i%2]
			ar, ac := dims(tc.transA, tc.m, tc.k)
			br, bc := dims(tc.transB, tc.k, tc.n)
			A := newOperand(rng, ar, ac, tc.padA, tc.offA, nan)
			B := newHalfOperand(rng, kind, br, bc, tc.padB, tc.offB)
			Bw := make([]float32, len(B.buf))
			for q, h := range B.buf {
				Bw[q] = widen[kind](h)
			}
			C := makeC(rng, tc)
			G := append([]float32(nil), C.buf...)
			_, mag := refGemm(tc, A, C, C, func(r, c int) float64 { return float64(Bw[B.off+r*B.ld+c]) })
			SgemmHalf(kind, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.slice(), A.ld,
				B.buf[B.off:B.off+B.size], B.ld, tc.beta, C.slice(), C.ld, false)
			impl.Sgemm(gonumTrans(tc.transA), gonumTrans(tc.transB), tc.m, tc.n, tc.k, tc.alpha,
				gonumSpan(A.buf, A.off, ar, ac, A.ld), A.ld, gonumSpan(Bw, B.off, br, bc, B.ld), B.ld,
				tc.beta, G[C.off:], C.ld)
			if !compareGonum(t, "SgemmHalf/"+string(p), tc, C, G, mag) {
				return
			}
		}
	})
}
