package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestCopyRunsFast: the assembly row copier (where there is one) equals
// the Go loops for many widths, strides, counts and unaligned offsets,
// and writes nothing past the packed runs.
func TestCopyRunsFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, w := range []int{1, 4, 8, 16, 24, 32, 40, 48, 56, 96} {
		for _, extra := range []int{0, 3, 17} {
			ld := w + extra
			for _, kl := range []int{1, 2, 3, 7, 9, 100} {
				for off := 0; off < 4; off++ {
					src := make([]float32, off+(kl-1)*ld+w)
					for i := range src {
						src[i] = rng.Float32()
					}
					const guard = 19
					got := make([]float32, off+kl*w+guard)
					want := make([]float32, len(got))
					for i := range got {
						got[i], want[i] = -7, -7
					}
					copyRuns(got[off:off+kl*w], src[off:], w, ld, kl, true)
					copyRuns(want[off:off+kl*w], src[off:], w, ld, kl, false)
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("w=%d ld=%d kl=%d off=%d: dst[%d] = %v, want %v", w, ld, kl, off, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkCopyRuns packs a 512-deep panel of width w from rows of a
// 2048-wide matrix, with the assembly copier ("fast") and the Go loops.
func BenchmarkCopyRuns(b *testing.B) {
	const kl, ld = 512, 2048
	src := make([]float32, kl*ld)
	for _, w := range []int{8, 16, 48} {
		dst := make([]float32, kl*w)
		for _, fast := range []bool{true, false} {
			b.Run(fmt.Sprintf("w=%d/fast=%v", w, fast), func(b *testing.B) {
				for range b.N {
					copyRuns(dst, src, w, ld, kl, fast)
				}
				b.ReportMetric(float64(4*kl*w*b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
