package kernels

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestAdamWUpdate: every path equals the Go twin bit for bit (the kernels
// round each operation like it, no FMA) on lengths around the vector
// widths, and the twin matches a float64 evaluation of the formula.
func TestAdamWUpdate(t *testing.T) {
	h := AdamWHyper{Beta1: 0.9, Beta2: 0.95, Decay: 1 - 3e-4*0.1, StepSize: 3e-4 / 0.19, InvBc2: float32(1 / math.Sqrt(1-0.95*0.95)), Eps: 1e-8}
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(5, 9))
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1029} {
			w, g := randF32(n, rng.Uint64()), randF32(n, rng.Uint64())
			m := randF32(n, rng.Uint64())
			v := make([]float32, n)
			for i := range v {
				v[i] = rng.Float32() * 0.01 // second moments are >= 0
			}
			if n > 3 {
				g[1], v[2], m[3] = 0, 0, 0 // zero gradient, zero moments
			}
			w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			AdamWUpdate(w, g, m, v, h)
			adamwUpdateGeneric(w2, g, m2, v2, h)
			for i := 0; i < n; i++ {
				if math.Float32bits(w[i]) != math.Float32bits(w2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) || math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
					t.Fatalf("n=%d i=%d: %s w,m,v = %v,%v,%v, generic %v,%v,%v", n, i, p, w[i], m[i], v[i], w2[i], m2[i], v2[i])
				}
			}
		}
	})
	// The twin against the formula in float64.
	rng := rand.New(rand.NewPCG(6, 1))
	n := 257
	w, g, m := randF32(n, 1), randF32(n, 2), randF32(n, 3)
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()
	}
	w0, m0, v0 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
	adamwUpdateGeneric(w, g, m, v, h)
	for i := 0; i < n; i++ {
		b1, b2, gi := float64(h.Beta1), float64(h.Beta2), float64(g[i])
		mi := b1*float64(m0[i]) + (1-b1)*gi
		vi := b2*float64(v0[i]) + (1-b2)*gi*gi
		wi := float64(w0[i])*float64(h.Decay) - float64(h.StepSize)*mi/(math.Sqrt(vi)*float64(h.InvBc2)+float64(h.Eps))
		for _, c := range [][2]float64{{float64(m[i]), mi}, {float64(v[i]), vi}, {float64(w[i]), wi}} {
			if math.Abs(c[0]-c[1]) > 1e-6*(1+math.Abs(c[1])) {
				t.Fatalf("element %d: got %v, float64 formula %v", i, c[0], c[1])
			}
		}
	}
}

func TestAdamWUpdateShortSlices(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "AdamWUpdate") {
			t.Fatalf("short moment slice: recover() = %v, want a panic naming AdamWUpdate", r)
		}
	}()
	AdamWUpdate(make([]float32, 4), make([]float32, 4), make([]float32, 4), make([]float32, 3), AdamWHyper{})
}

func BenchmarkAdamWUpdate(b *testing.B) {
	const n = 1 << 22
	w, g, m, v := randF32(n, 1), randF32(n, 2), randF32(n, 3), make([]float32, n)
	h := AdamWHyper{Beta1: 0.9, Beta2: 0.95, Decay: 1, StepSize: 1e-3, InvBc2: 1, Eps: 1e-8}
	for _, impl := range []struct {
		name string
		fn   func(w, g, m, v []float32, h AdamWHyper)
	}{{"dispatch", AdamWUpdate}, {"generic", adamwUpdateGeneric}} {
		b.Run(impl.name, func(b *testing.B) {
			for range b.N {
				impl.fn(w, g, m, v, h)
			}
			// 7 float32 streams: w, g, m, v read; w, m, v written.
			b.ReportMetric(float64(7*4*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
