package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSwiGLUBackward: every path against the float64 formula, on lengths
// around the vector width and gates out to the saturated range, plus the
// Go twin against the dispatching kernel.
func TestSwiGLUBackward(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, n := range []int{0, 1, 15, 16, 17, 33, 257, 1000} {
			gate, up, dy := randF32(n, rng.Uint64()), randF32(n, rng.Uint64()), randF32(n, rng.Uint64())
			for i := range gate {
				gate[i] *= 12
			}
			special := []float32{0, float32(math.Copysign(0, -1)), 30, -30, 100, -100, 88, -88}
			for i := 0; i < n && i < len(special); i++ {
				gate[n-1-i] = special[i]
			}
			dg, du := make([]float32, n), make([]float32, n)
			for i := range dg {
				dg[i], du[i] = float32(math.NaN()), float32(math.NaN()) // must be overwritten
			}
			SwiGLUBackward(dg, du, dy, gate, up)
			dg2, du2 := make([]float32, n), make([]float32, n)
			swigluBackwardGeneric(dg2, du2, dy, gate, up)
			for i := 0; i < n; i++ {
				x, u, g := float64(gate[i]), float64(up[i]), float64(dy[i])
				s := 1 / (1 + math.Exp(-x))
				wantG := g * u * s * (1 + x*(1-s))
				wantU := g * x * s
				tolG := 2e-6 * (math.Abs(g*u) * (1 + math.Abs(x)))
				tolU := 2e-6 * math.Abs(g*x)
				if math.Abs(float64(dg[i])-wantG) > tolG+1e-30 || math.Abs(float64(du[i])-wantU) > tolU+1e-30 {
					t.Fatalf("n=%d i=%d gate=%v: dgate %v want %v, dup %v want %v", n, i, x, dg[i], wantG, du[i], wantU)
				}
				if math.Abs(float64(dg2[i])-wantG) > tolG+1e-30 || math.Abs(float64(du2[i])-wantU) > tolU+1e-30 {
					t.Fatalf("generic n=%d i=%d gate=%v: dgate %v want %v, dup %v want %v", n, i, x, dg2[i], wantG, du2[i], wantU)
				}
			}
		}
	})
}

func TestSwiGLUBackwardBadLengths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("mismatched lengths did not panic")
		}
	}()
	SwiGLUBackward(make([]float32, 4), make([]float32, 3), make([]float32, 4), make([]float32, 4), make([]float32, 4))
}

func BenchmarkSwiGLUBackward(b *testing.B) {
	const n = 1 << 20
	dg, du, dy, gate, up := make([]float32, n), make([]float32, n), randF32(n, 1), randF32(n, 2), randF32(n, 3)
	for _, impl := range []struct {
		name string
		fn   func(dg, du, dy, gate, up []float32)
	}{{"dispatch", SwiGLUBackward}, {"generic", swigluBackwardGeneric}} {
		b.Run(impl.name, func(b *testing.B) {
			for range b.N {
				impl.fn(dg, du, dy, gate, up)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}
