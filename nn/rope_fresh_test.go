package nn

import (
	"math"
	"testing"
)

// TestRoPEGradAccumulates: RoPE's backward writes a fresh input gradient
// in place and accumulates into one another op already wrote: a value
// rotated twice gets twice the gradient of one rotation.
func TestRoPEGradAccumulates(t *testing.T) {
	const rows, nh, hd = 3, 2, 4
	pos := []int{0, 2, 5}
	cos, sin := make([]float32, 6*hd/2), make([]float32, 6*hd/2)
	for i := range cos {
		cos[i], sin[i] = float32(math.Cos(0.3*float64(i+1))), float32(math.Sin(0.3*float64(i+1)))
	}
	c := make([]float32, rows*nh*hd)
	for i := range c {
		c[i] = float32(i%7) - 3
	}
	grad := func(twice bool) []float32 {
		p := NewParam(make([]float32, rows*nh*hd), rows, nh*hd)
		for i := range p.Data {
			p.Data[i] = float32(i%5) - 2
		}
		y := Scale(p, 1) // intermediate: pooled gradient buffer
		r := RoPE(y, nh, pos, cos, sin)
		if twice {
			r = Add(r, RoPE(y, nh, pos, cos, sin))
		}
		if err := Sum(Mul(r, FromSlice(c, rows, nh*hd))).Backward(); err != nil {
			t.Fatal(err)
		}
		return p.Grad
	}
	one, two := grad(false), grad(true)
	for i := range one {
		if math.Abs(float64(two[i]-2*one[i])) > 1e-5 {
			t.Fatalf("element %d: two rotations give %v, one gives %v", i, two[i], one[i])
		}
	}
}
