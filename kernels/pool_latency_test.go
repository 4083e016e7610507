package kernels

import (
	"testing"
	"time"
)

// BenchmarkParallelForLatency: one ParallelFor hand-off with trivial work,
// after the caller has worked alone for a while (the workers went idle).
func BenchmarkParallelForLatency(b *testing.B) {
	for _, gap := range []time.Duration{0, 20 * time.Microsecond, 200 * time.Microsecond} {
		b.Run(gap.String(), func(b *testing.B) {
			var sink [2]int
			fn := func(lo, hi int) {
				for i := lo; i < hi; i++ {
					sink[i]++
				}
			}
			var total time.Duration
			for range b.N {
				if gap > 0 {
					t := time.Now()
					for time.Since(t) < gap {
					}
				}
				t0 := time.Now()
				ParallelFor(2, 1, fn)
				total += time.Since(t0)
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/handoff")
		})
	}
}
