package llama

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lseRef is log(sum(exp(scale*x))) with every step in float64.
func lseRef(x []float32, scale float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, float64(v)*scale)
	}
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		return mx
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v)*scale - mx)
	}
	return mx + math.Log(s)
}

func TestLogSumExpMatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for _, n := range []int{1, 2, 7, 511, 512, 513, 1500, 128256} {
		for _, spread := range []float64{0.01, 1, 8, 40} {
			for _, scale := range []float64{1, 1 / 0.7, 0.25} {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(rng.NormFloat64()*spread + 3)
				}
				got, want := logSumExp(x, scale), lseRef(x, scale)
				if d := math.Abs(got - want); d > 2e-6*max(1, math.Abs(want)) {
					t.Fatalf("n=%d spread=%v scale=%v: got %.9f want %.9f (diff %g)", n, spread, scale, got, want, d)
				}
			}
		}
	}
}

func TestLogSumExpSpecialValues(t *testing.T) {
	ninf, pinf := float32(math.Inf(-1)), float32(math.Inf(1))
	nan := float32(math.NaN())
	cases := []struct {
		name string
		x    []float32
		want float64 // NaN means NaN expected
	}{
		{"all -inf", []float32{ninf, ninf}, math.Inf(-1)},
		{"some -inf", []float32{ninf, 0, ninf, 0}, math.Log(2)},
		{"+inf", []float32{1, pinf, 2}, math.Inf(1)},
		{"nan", []float32{1, nan, 2}, math.NaN()},
		{"huge gap", []float32{0, -1e30, -200}, 0},
		{"empty", nil, math.Inf(-1)},
	}
	for _, c := range cases {
		got := logSumExp(c.x, 1)
		if math.IsNaN(c.want) {
			if !math.IsNaN(got) {
				t.Errorf("%s: got %v, want NaN", c.name, got)
			}
			continue
		}
		if got != c.want && math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
