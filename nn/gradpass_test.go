package nn

import (
	"math"
	"testing"
)

// TestGradHandOff: reshape/add/sub backward that write fresh gradients or
// take over the output's buffer give the same gradients as accumulation,
// including a retained output gradient (not taken), x+x, and an input
// reached by two paths (accumulated, not overwritten).
func TestGradHandOff(t *testing.T) {
	c := FromSlice([]float32{1, -2, 3, 0.5, 4, -1}, 2, 3)
	for _, tc := range []struct {
		name string
		f    func(p *Value) (*Value, *Value) // loss, a retained value (or nil)
		want func(c, p float64) float64      // d loss / d p_i given c_i, p_i
	}{
		{"reshape", func(p *Value) (*Value, *Value) {
			x := Scale(p, 2)
			return Sum(Mul(Reshape(Reshape(x, 3, 2), 2, 3), c)), nil
		}, func(c, p float64) float64 { return 2 * c }},
		{"add", func(p *Value) (*Value, *Value) {
			y := Add(Scale(p, 2), Scale(p, 3))
			return Sum(Mul(y, c)), nil
		}, func(c, p float64) float64 { return 5 * c }},
		{"add retained", func(p *Value) (*Value, *Value) {
			y := Add(Scale(p, 2), Scale(p, 3))
			y.RetainGrad()
			return Sum(Mul(y, c)), y
		}, func(c, p float64) float64 { return 5 * c }},
		{"x+x", func(p *Value) (*Value, *Value) {
			x := Scale(p, 3)
			return Sum(Mul(Add(x, x), c)), nil
		}, func(c, p float64) float64 { return 6 * c }},
		{"sub", func(p *Value) (*Value, *Value) {
			return Sum(Mul(Sub(Scale(p, 2), Scale(p, 7)), c)), nil
		}, func(c, p float64) float64 { return -5 * c }},
		{"residual", func(p *Value) (*Value, *Value) {
			x := Scale(p, 2)       // feeds the add twice: directly and through mul
			y := Add(x, Mul(x, x)) // d/dx = 1 + 2x
			return Sum(Mul(Reshape(y, 6), Reshape(c, 6))), nil
		}, func(c, p float64) float64 { return c * (1 + 4*p) * 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParam([]float32{0.5, -1, 2, 1.5, -0.25, 3}, 2, 3)
			loss, kept := tc.f(p)
			if err := loss.Backward(); err != nil {
				t.Fatal(err)
			}
			for i := range p.Data {
				want := tc.want(float64(c.Data[i]), float64(p.Data[i]))
				if math.Abs(float64(p.Grad[i])-want) > 1e-5 {
					t.Fatalf("dp[%d] = %v, want %v", i, p.Grad[i], want)
				}
			}
			if kept != nil {
				for i, g := range kept.Grad {
					if g != c.Data[i] {
						t.Fatalf("retained grad[%d] = %v, want %v", i, g, c.Data[i])
					}
				}
			}
		})
	}
}
