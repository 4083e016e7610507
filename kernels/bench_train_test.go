package kernels

import (
	"fmt"
	"testing"
)

// trainGemm is one GEMM of a training step: the forward (y = x·Wᵀ), the
// input gradient (dx = dy·W) or the weight gradient (dW = dyᵀ·x) of a
// Linear layer of `in` inputs and `out` outputs over `rows` token rows.
type trainGemm struct {
	name           string
	transA, transB bool
	m, n, k        int
}

// linearGemms lists the three GEMMs of a Linear layer as nn.Linear calls them.
func linearGemms(layer string, rows, in, out int) []trainGemm {
	return []trainGemm{
		{layer + "/fwd", false, true, rows, out, in},
		{layer + "/dx", false, false, rows, in, out},
		{layer + "/dw", true, false, out, in, rows},
	}
}

// trainGemms30m: the distinct GEMM shapes of the 30m preset train step
// (8×256 tokens; dim 512, kv dim 128, ffn 1376, vocab 8192).
func trainGemms30m() []trainGemm {
	var s []trainGemm
	s = append(s, linearGemms("q", 2048, 512, 512)...)
	s = append(s, linearGemms("kv", 2048, 512, 128)...)
	s = append(s, linearGemms("up", 2048, 512, 1376)...)
	s = append(s, linearGemms("down", 2048, 1376, 512)...)
	s = append(s, linearGemms("head", 2048, 512, 8192)...)
	return s
}

// setSchedule selects a GEMM compute schedule by name: "rows" (tall
// problems split into single-threaded row ranges, the default; others
// guided), "guided", "fixed" dynamic runs, the "static" per-worker split, and returns a function
// restoring the previous one.
func setSchedule(name string) (restore func()) {
	oldStatic, oldGuided, oldRows := gemmStaticSplit, gemmGuided, gemmRowSplit
	gemmStaticSplit, gemmGuided = name == "static", name != "fixed"
	gemmRowSplit = name == "rows" || name == "rows-1t"
	return func() { gemmStaticSplit, gemmGuided, gemmRowSplit = oldStatic, oldGuided, oldRows }
}

// BenchmarkSgemmTrain measures the GEMM shapes of the 30m training step in
// GFLOP/s under each compute schedule (same run, so ratios are meaningful),
// and on one worker ("-1t": the 2-worker scaling is the ratio).
func BenchmarkSgemmTrain(b *testing.B) {
	for _, v := range []struct {
		sched   string
		threads int
	}{{"rows", 0}, {"guided", 0}, {"fixed", 0}, {"static", 0}, {"rows-1t", 1}} {
		for _, s := range trainGemms30m() {
			b.Run(fmt.Sprintf("%s/%s", v.sched, s.name), func(b *testing.B) {
				defer setSchedule(v.sched)()
				withWorkers(b, v.threads)
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

// BenchmarkSgemmPrefill measures prefill-shaped GEMMs of the 1B model
// (128 or 512 token rows against a [8192, 2048] weight, transposed B) in
// f32 and bf16-dot, under the default and the static schedule.
func BenchmarkSgemmPrefill(b *testing.B) {
	const n, k = 8192, 2048
	for _, sched := range []string{"rows", "static"} {
		for _, m := range []int{128, 512} {
			for _, dt := range []string{"f32", "bf16dot"} {
				b.Run(fmt.Sprintf("%s/%s/m=%d", sched, dt, m), func(b *testing.B) {
					defer setSchedule(sched)()
					a, c := randF32(m*k, 1), make([]float32, m*n)
					w, h := randF32(n*k, 2), randHalf(n*k, BF16, 2)
					b.ResetTimer()
					for range b.N {
						if dt == "f32" {
							Sgemm(false, true, m, n, k, 1, a, k, w, k, 0, c, n)
						} else {
							SgemmHalf(BF16, false, true, m, n, k, 1, a, k, h, k, 0, c, n, true)
						}
					}
					reportGflops(b, m, n, k)
				})
			}
		}
	}
}
