package kernels

import (
	"fmt"
	"math"
	"testing"
)

// Benchmarks of the vector and attention kernels on every available path.
// Vector kernels report GB/s of memory touched (and GFLOP/s where there is
// arithmetic); attention reports GFLOP/s counting 4*d flops per (query,
// key) pair forward (scores and P·V) and 8*d backward, causal pairs only.

func benchPaths(b *testing.B, f func(b *testing.B)) {
	old := ActivePath()
	defer SetPath(old)
	for _, p := range AvailablePaths() {
		SetPath(p)
		b.Run(string(p), f)
	}
}

func benchVec(n int) []float32 {
	x := make([]float32, n)
	randSlice(newRand(), x, -3, 3)
	return x
}

func BenchmarkDot(b *testing.B) {
	for _, n := range []int{64, 4096, 1 << 20} {
		x, y := benchVec(n), benchVec(n)
		benchPaths(b, func(b *testing.B) {
			b.Run(fmt.Sprint(n), func(b *testing.B) {
				var s float32
				for b.Loop() {
					s += Dot(x, y)
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(2*float64(n)/sec/1e9, "GFLOP/s")
				b.ReportMetric(8*float64(n)/sec/1e9, "GB/s")
			})
		})
	}
}

func BenchmarkAxpy(b *testing.B) {
	for _, n := range []int{64, 4096, 1 << 20} {
		x, y := benchVec(n), benchVec(n)
		benchPaths(b, func(b *testing.B) {
			b.Run(fmt.Sprint(n), func(b *testing.B) {
				for b.Loop() {
					Axpy(1e-9, x, y)
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(2*float64(n)/sec/1e9, "GFLOP/s")
				b.ReportMetric(12*float64(n)/sec/1e9, "GB/s")
			})
		})
	}
}

func benchUnary(b *testing.B, name string, n int, f func(dst, x []float32)) {
	x, dst := benchVec(n), make([]float32, n)
	benchPaths(b, func(b *testing.B) {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				f(dst, x)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(n)/sec/1e9, "Gelem/s")
			b.ReportMetric(8*float64(n)/sec/1e9, "GB/s")
		})
	})
}

func BenchmarkExp(b *testing.B) { benchUnary(b, "exp", 4096, Exp) }

func BenchmarkSoftmax(b *testing.B) {
	for _, n := range []int{4096, 128256} {
		benchUnary(b, "softmax", n, func(dst, x []float32) { copy(dst, x); Softmax(dst) })
	}
}

func BenchmarkLogSoftmax(b *testing.B) {
	benchUnary(b, "logsoftmax", 128256, func(dst, x []float32) { LogSoftmax(dst, x) })
}

func BenchmarkRMSNorm(b *testing.B) {
	w := benchVec(2048)
	benchUnary(b, "rmsnorm", 2048, func(dst, x []float32) { RMSNorm(dst, x, w, 1e-5) })
}

func BenchmarkSwiGLU(b *testing.B) {
	up := benchVec(8192)
	benchUnary(b, "swiglu", 8192, func(dst, x []float32) { SwiGLU(dst, x, up) })
}

func BenchmarkBF16ToF32(b *testing.B) {
	src := make([]uint16, 8192)
	f32ToBF16Generic(src, benchVec(8192))
	dst := make([]float32, 8192)
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			BF16ToF32(dst, src)
		}
		b.ReportMetric(6*8192/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GB/s")
	})
}

func BenchmarkF32ToF16(b *testing.B) {
	src := benchVec(8192)
	dst := make([]uint16, 8192)
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			F32ToF16(dst, src)
		}
		b.ReportMetric(6*8192/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GB/s")
	})
}

// attnBenchShape is LLaMA-3.2-1B-like: 32 query heads, 8 kv heads, d=64.
func attnBenchShape(nq, nkv int) AttnShape {
	return AttnShape{NQ: nq, NKV: nkv, NHeads: 32, NKVHeads: 8, HeadDim: 64, QPos0: nkv - nq, Scale: 0.125}
}

func attnPairs(s AttnShape) float64 {
	var p float64
	for i := 0; i < s.NQ; i++ {
		p += float64(s.QPos0 + i + 1)
	}
	return p * float64(s.NHeads)
}

func BenchmarkAttention(b *testing.B) {
	for _, c := range []struct {
		name    string
		nq, nkv int
	}{{"prefill512", 512, 512}, {"decode512", 1, 513}} {
		s := attnBenchShape(c.nq, c.nkv)
		a := newAttnData(s, 1)
		benchPaths(b, func(b *testing.B) {
			if ActivePath() == PathGeneric && c.nq > 1 && testing.Short() {
				b.Skip("generic prefill is slow; run without -short")
			}
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					Attention(s, a.q, a.k, a.v, a.out, a.lse)
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(4*64*attnPairs(s)/sec/1e9, "GFLOP/s")
			})
		})
	}
}

func BenchmarkAttentionBackward(b *testing.B) {
	s := attnBenchShape(512, 512)
	a := newAttnData(s, 1)
	Attention(s, a.q, a.k, a.v, a.out, a.lse)
	dq, dk, dv := make([]float32, len(a.q)), make([]float32, len(a.k)), make([]float32, len(a.v))
	benchPaths(b, func(b *testing.B) {
		b.Run("prefill512", func(b *testing.B) {
			for b.Loop() {
				AttentionBackward(s, a.q, a.k, a.v, a.out, a.dout, a.lse, dq, dk, dv)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(8*64*attnPairs(s)/sec/1e9, "GFLOP/s")
		})
	})
}

var _ = math.Pi
