//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestEdgeKernelsAMD64: the AVX-512 edge micro-kernels against their Go
// twin, for depths around the unroll factor, beta zero (NaN in C: must
// not be read) and non-zero, with columns past the tile left untouched.
func TestEdgeKernelsAMD64(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("AVX-512 not supported by this CPU")
	}
	rng := rand.New(rand.NewPCG(29, 29))
	for _, e := range avx512Edges {
		const mr = 8
		nr := e.nr
		twin := f32KernelGeneric(mr, nr)
		for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 64, 385} {
			a, b := make([]float32, mr*k), make([]float32, nr*k)
			for i := range a {
				a[i] = 2*rng.Float32() - 1
			}
			for i := range b {
				b[i] = 2*rng.Float32() - 1
			}
			for _, beta := range []float32{0, 0.5} {
				ldc := nr + 5
				got, want := make([]float32, mr*ldc), make([]float32, mr*ldc)
				for i := range got {
					got[i] = float32(math.NaN())
					if beta != 0 || i%ldc >= nr {
						got[i] = float32(i%7) - 3
					}
					want[i] = got[i]
				}
				e.kern(k, &a[0], &b[0], &got[0], ldc, 1.5, beta)
				twin(k, &a[0], &b[0], &want[0], ldc, 1.5, beta)
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*float64(k+4)) {
						t.Fatalf("8x%d k=%d beta=%g: C[%d,%d] = %g, twin %g", nr, k, beta, i/ldc, i%ldc, got[i], want[i])
					}
				}
			}
		}
	}
}
