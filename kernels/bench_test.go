package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// GEMM/GEMV benchmarks. Each reports GFLOP/s (2*m*n*k per op); GEMV also
// reports the weight bandwidth in GB/s. The "-1t" variants run on one
// worker (the FMA-peak comparison); gonum's pure-Go blas32 is the baseline.

func randF32(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
	return s
}

func randHalf(n int, kind Half, seed uint64) []uint16 {
	f := randF32(n, seed)
	h := make([]uint16, n)
	for i, v := range f {
		if kind == BF16 {
			h[i] = BF16FromF32(v)
		} else {
			h[i] = F16FromF32(v)
		}
	}
	return h
}

type gemmShape struct {
	name    string
	m, n, k int
	transB  bool // weights stored [N,K]
}

var gemmShapes = []gemmShape{
	{"n=1024", 1024, 1024, 1024, false},
	{"n=2048", 2048, 2048, 2048, false},
	{"m=64,k=2048,n=8192", 64, 8192, 2048, true},
}

func reportGflops(b *testing.B, m, n, k int) {
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func withWorkers(b *testing.B, threads int) {
	if threads > 0 {
		b.Cleanup(limitWorkers(threads))
	}
}

func BenchmarkSgemm(b *testing.B) {
	for _, variant := range []struct {
		name    string
		threads int
	}{{"f32", 0}, {"f32-1t", 1}} {
		for _, s := range gemmShapes {
			b.Run(variant.name+"/"+s.name, func(b *testing.B) {
				withWorkers(b, variant.threads)
				a, w, c := randF32(s.m*s.k, 1), randF32(s.k*s.n, 2), make([]float32, s.m*s.n)
				ldb := s.n
				if s.transB {
					ldb = s.k
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, w, ldb, 0, c, s.n)
				}
				reportGflops(b, s.m, s.n, s.k)
			})
		}
	}
	for _, hv := range []struct {
		name    string
		kind    Half
		dot     bool
		threads int
	}{{"bf16", BF16, false, 0}, {"f16", F16, false, 0}, {"bf16dot", BF16, true, 0}, {"bf16dot-1t", BF16, true, 1}} {
		for _, s := range gemmShapes {
			b.Run(hv.name+"/"+s.name, func(b *testing.B) {
				withWorkers(b, hv.threads)
				a, w, c := randF32(s.m*s.k, 1), randHalf(s.k*s.n, hv.kind, 2), make([]float32, s.m*s.n)
				ldb := s.n
				if s.transB {
					ldb = s.k
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					SgemmHalf(hv.kind, false, s.transB, s.m, s.n, s.k, 1, a, s.k, w, ldb, 0, c, s.n, hv.dot)
				}
				reportGflops(b, s.m, s.n, s.k)
			})
		}
	}
	for _, s := range gemmShapes {
		b.Run("gonum/"+s.name, func(b *testing.B) {
			a, w, c := randF32(s.m*s.k, 1), randF32(s.k*s.n, 2), make([]float32, s.m*s.n)
			A := blas32.General{Rows: s.m, Cols: s.k, Stride: s.k, Data: a}
			B := blas32.General{Rows: s.k, Cols: s.n, Stride: s.n, Data: w}
			tB := blas.NoTrans
			if s.transB {
				B = blas32.General{Rows: s.n, Cols: s.k, Stride: s.k, Data: w}
				tB = blas.Trans
			}
			C := blas32.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: c}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				blas32.Gemm(blas.NoTrans, tB, 1, A, B, 0, C)
			}
			reportGflops(b, s.m, s.n, s.k)
		})
	}
}

func BenchmarkGemv(b *testing.B) {
	const k, n = 2048, 8192
	shape := fmt.Sprintf("k=%d,n=%d", k, n)
	x, y := randF32(k, 3), make([]float32, n)
	report := func(b *testing.B, bytesPerElem int) {
		reportGflops(b, 1, n, k)
		b.ReportMetric(float64(k*n*bytesPerElem)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	}
	for _, threads := range []int{0, 1} {
		suffix := ""
		if threads == 1 {
			suffix = "-1t"
		}
		b.Run("f32"+suffix+"/"+shape, func(b *testing.B) {
			withWorkers(b, threads)
			w := randF32(k*n, 4)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Sgemm(false, true, 1, n, k, 1, x, k, w, k, 0, y, n)
			}
			report(b, 4)
		})
		for _, kind := range []Half{BF16, F16} {
			name := map[Half]string{BF16: "bf16", F16: "f16"}[kind]
			b.Run(name+suffix+"/"+shape, func(b *testing.B) {
				withWorkers(b, threads)
				w := randHalf(k*n, kind, 4)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					SgemmHalf(kind, false, true, 1, n, k, 1, x, k, w, k, 0, y, n, false)
				}
				report(b, 2)
			})
		}
	}
	b.Run("f32-notrans/"+shape, func(b *testing.B) {
		w := randF32(k*n, 4)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			Sgemm(false, false, 1, n, k, 1, x, k, w, n, 0, y, n)
		}
		report(b, 4)
	})
	b.Run("gonum/"+shape, func(b *testing.B) {
		w := randF32(k*n, 4)
		A := blas32.General{Rows: n, Cols: k, Stride: k, Data: w}
		X := blas32.Vector{N: k, Inc: 1, Data: x}
		Y := blas32.Vector{N: n, Inc: 1, Data: y}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			blas32.Gemv(blas.NoTrans, 1, A, X, 0, Y)
		}
		report(b, 4)
	})
}
