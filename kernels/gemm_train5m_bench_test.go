package kernels

import (
	"fmt"
	"testing"
)

// trainGemms5m: the GEMM shapes of the 5m preset train step (8×256
// tokens; dim 256, kv dim 64, ffn 688, vocab 4096), the separate Q/K/V
// and gate/up projections and their fused forms ("qkv": 384 outputs,
// "gateup": 1376).
func trainGemms5m() []trainGemm {
	var s []trainGemm
	s = append(s, linearGemms("q", 2048, 256, 256)...)
	s = append(s, linearGemms("kv", 2048, 256, 64)...)
	s = append(s, linearGemms("qkv", 2048, 256, 384)...)
	s = append(s, linearGemms("up", 2048, 256, 688)...)
	s = append(s, linearGemms("gateup", 2048, 256, 1376)...)
	s = append(s, linearGemms("down", 2048, 688, 256)...)
	s = append(s, linearGemms("head", 2048, 256, 4096)...)
	return s
}

// BenchmarkSgemmTrain5m measures the 5m step's GEMM shapes in GFLOP/s on
// both workers (default schedule) and on one ("-1t": how the step's
// Linear backward runs them, as concurrent single-threaded tasks).
func BenchmarkSgemmTrain5m(b *testing.B) {
	for _, threads := range []int{0, 1} {
		for _, s := range trainGemms5m() {
			name := s.name
			if threads == 1 {
				name += "-1t"
			}
			b.Run(fmt.Sprintf("%s", name), func(b *testing.B) {
				withWorkers(b, threads)
				lda, ldb := s.k, s.n
				if s.transA {
					lda = s.m
				}
				if s.transB {
					ldb = s.k
				}
				a, w, c := randF32(s.m*s.k, 1), randF32(s.k*s.n, 2), make([]float32, s.m*s.n)
				b.ResetTimer()
				for range b.N {
					Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, w, ldb, 0, c, s.n)
				}
				reportGflops(b, s.m, s.n, s.k)
			})
		}
	}
}
