//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// Micro-kernels against their Go twins on random packed panels, for
// depths around the unroll factor, with beta zero (NaN C) and non-zero.
func TestMicroKernelsAMD64(t *testing.T) {
	type kcase struct {
		name string
		ar   *gemmArch
		twin microKernel
		ok   bool
	}
	cases := []kcase{
		{"avx512", &avx512Arch, nil, cpuid.CPU.Supports(cpuid.AVX512F)},
		{"avx2", &avx2Arch, nil, cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)},
		{"bf16dot", &bf16DotAVX512, pairsKernelGeneric(8, 48), cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BF16)},
	}
	rng := rand.New(rand.NewPCG(23, 23))
	for _, kc := range cases {
		if !kc.ok {
			t.Logf("%s: not supported by this CPU", kc.name)
			continue
		}
		mr, nr := kc.ar.mr, kc.ar.nr
		for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 64, 385} {
			a := make([]float32, mr*k)
			b := make([]float32, nr*k)
			for i := range a {
				a[i] = 2*rng.Float32() - 1
				if kc.ar.pairs {
					a[i] = math.Float32frombits(uint32(BF16FromF32(a[i])) | uint32(BF16FromF32(2*rng.Float32()-1))<<16)
				}
			}
			for i := range b {
				b[i] = 2*rng.Float32() - 1
				if kc.ar.pairs {
					b[i] = math.Float32frombits(uint32(BF16FromF32(b[i])) | uint32(BF16FromF32(2*rng.Float32()-1))<<16)
				}
			}
			for _, beta := range []float32{0, 0.5} {
				ldc := nr + 3
				got := make([]float32, mr*ldc)
				want := make([]float32, mr*ldc)
				for i := range got {
					got[i] = float32(math.NaN())
					if beta != 0 || i%ldc >= nr {
						got[i] = float32(i%7) - 3
					}
					want[i] = got[i]
				}
				kc.ar.kern(k, &a[0], &b[0], &got[0], ldc, 1.5, beta)
				if kc.twin != nil {
					kc.twin(k, &a[0], &b[0], &want[0], ldc, 1.5, beta)
				} else {
					// f32 twin: the blocked generic kernel logic in plain loops
					for r := 0; r < mr; r++ {
						for j := 0; j < nr; j++ {
							var s float32
							for p := 0; p < k; p++ {
								s += a[p*mr+r] * b[p*nr+j]
							}
							if beta == 0 {
								want[r*ldc+j] = 1.5 * s
							} else {
								want[r*ldc+j] = 1.5*s + beta*want[r*ldc+j]
							}
						}
					}
				}
				for i := range got {
					d := math.Abs(float64(got[i] - want[i]))
					if !(d <= 1e-5*float64(k+4)) {
						t.Fatalf("%s k=%d beta=%g: C[%d,%d] = %g, twin %g", kc.name, k, beta, i/ldc, i%ldc, got[i], want[i])
					}
				}
			}
		}
	}
}
