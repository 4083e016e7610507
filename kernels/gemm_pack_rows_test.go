package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// asmPack returns the assembly packers of the best path: what the packing
// uses on the assembly paths (nil where there are none: arm64, purego).
func asmPack() *packKernels { return tables[0].gemm.f32.pack }

// packIf returns asmPack() if fast, else nil (the Go loops).
func packIf(fast bool) *packKernels {
	if fast {
		return asmPack()
	}
	return nil
}

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
					copyRuns(got[off:off+kl*w], src[off:], w, ld, kl, asmPack())
					copyRuns(want[off:off+kl*w], src[off:], w, ld, kl, nil)
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
					copyRuns(dst, src, w, ld, kl, packIf(fast))
				}
				b.ReportMetric(float64(4*kl*w*b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// TestCopyRunsPanels: the grouped packer equals packing each panel with
// copyRuns, on the assembly and Go paths, for several widths, group
// sizes, strides and unaligned offsets, and writes nothing outside the
// panels' runs (the gaps between panels keep their guard values).
func TestCopyRunsPanels(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, w := range []int{4, 6, 8, 16} {
		for _, np := range []int{1, 2, 3, 8, 9} {
			for _, extra := range []int{0, 5, 64} {
				ld := np*w + extra
				for _, kl := range []int{1, 2, 7, 33} {
					for _, fast := range []bool{true, false} {
						off := rng.IntN(4)
						src := make([]float32, off+(kl-1)*ld+np*w)
						for i := range src {
							src[i] = rng.Float32()
						}
						pstride := kl*w + 3 // a gap after every panel
						got := make([]float32, off+np*pstride+11)
						want := make([]float32, len(got))
						for i := range got {
							got[i], want[i] = -7, -7
						}
						copyRunsPanels(got[off:], src[off:], w, ld, kl, np, pstride, packIf(fast))
						for g := 0; g < np; g++ {
							copyRuns(want[off+g*pstride:off+g*pstride+kl*w], src[off+g*w:], w, ld, kl, nil)
						}
						for i := range got {
							if got[i] != want[i] {
								t.Fatalf("w=%d np=%d ld=%d kl=%d fast=%v off=%d: dst[%d] = %v, want %v", w, np, ld, kl, fast, off, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkPackTransA packs the LM head's weight-gradient A block (dyᵀ,
// dy stored 2048 tokens × 4096, one 512-deep block of 171 8-row panels)
// with np panels per pass over the rows (np=1: panel by panel).
func BenchmarkPackTransA(b *testing.B) {
	const kl, ld, panels, mr = 512, 4096, 171, 8
	src := randF32(kl*ld, 3)
	dst := make([]float32, panels*mr*kl)
	for _, group := range []int{1, 2, 4, 8, 16, 32} {
		b.Run(fmt.Sprintf("np=%d", group), func(b *testing.B) {
			for range b.N {
				for lo := 0; lo < panels; lo += group {
					np := min(group, panels-lo)
					if np == 1 {
						copyRuns(dst[lo*mr*kl:], src[lo*mr:], mr, ld, kl, asmPack())
						continue
					}
					copyRunsPanels(dst[lo*mr*kl:], src[lo*mr:], mr, ld, kl, np, mr*kl, asmPack())
				}
			}
			b.ReportMetric(float64(4*kl*panels*mr*b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
