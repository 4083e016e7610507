//go:build !race && !purego

// (The race detector makes sync.Pool drop items on purpose, so the
// steady-state zero-allocation property only holds without it; the purego
// build runs the allocating reference kernels of dispatch_other.go.)

package kernels

import (
	"runtime/debug"
	"testing"
)

// TestGemmNoAllocs: after warm-up, GEMM and GEMV calls (serial and
// parallel sizes, every path) allocate nothing: packing buffers and call
// state are recycled.
func TestGemmNoAllocs(t *testing.T) {
	// A garbage collection empties sync.Pools (by design); other tests of
	// the package running in parallel can trigger one at any moment, so
	// collection is paused while allocations are counted.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	forEachPath(t, func(t *testing.T, p Path) {
		for _, s := range []gemmShape{
			{"small", 20, 30, 40, false}, {"160", 160, 160, 160, false}, {"m=64 tB", 64, 512, 256, true},
			{"gemv", 1, 4096, 1024, true}, {"gemvN", 1, 4096, 1024, false}, {"n=1", 300, 1, 200, false},
			{"row split", 1100, 64, 96, false},
		} {
			A, B, C := randF32(s.m*s.k, 1), randF32(s.k*s.n, 2), make([]float32, s.m*s.n)
			H := randHalf(s.k*s.n, BF16, 2)
			ldb := s.n
			if s.transB {
				ldb = s.k
			}
			// sync.Pool keeps one private item per P that other Ps cannot
			// take: warm up so every P holds what it needs before counting
			// (row-split tasks run on either P: 32 rounds, not 8).
			for i := 0; i < 32; i++ {
				Sgemm(false, s.transB, s.m, s.n, s.k, 1, A, s.k, B, ldb, 0, C, s.n)
			}
			if n := testing.AllocsPerRun(10, func() { Sgemm(false, s.transB, s.m, s.n, s.k, 1, A, s.k, B, ldb, 0, C, s.n) }); n != 0 {
				t.Errorf("Sgemm %s: %.1f allocs/op", s.name, n)
			}
			for _, dot := range []bool{false, true} {
				for i := 0; i < 32; i++ {
					SgemmHalf(BF16, false, s.transB, s.m, s.n, s.k, 1, A, s.k, H, ldb, 0.5, C, s.n, dot)
				}
				if n := testing.AllocsPerRun(10, func() {
					SgemmHalf(BF16, false, s.transB, s.m, s.n, s.k, 1, A, s.k, H, ldb, 0.5, C, s.n, dot)
				}); n != 0 {
					t.Errorf("SgemmHalf %s dot=%v: %.1f allocs/op", s.name, dot, n)
				}
			}
		}
	})
}
