package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLinearBackwardTasks: a Linear large enough for the task-parallel
// backward (dx and dW as concurrent single-threaded GEMM halves, odd sizes
// so the halves are uneven) matches a float64 reference, and a second
// backward accumulates onto the first.
func TestLinearBackwardTasks(t *testing.T) {
	// dW whole (out < 2*linearSplitRows) and dW in two parts; dx in two
	// parts, and in four (m >= 4*linearDxRows).
	for _, s := range [][3]int{{250, 260, 270}, {256, 130, 2*linearSplitRows + 9}, {4*linearDxRows + 13, 48, 380}} {
		testLinearBackwardTasks(t, s[0], s[1], s[2])
	}
}

func testLinearBackwardTasks(t *testing.T, m, in, out int) {
	if 4*m*in*out < linearTaskFlops {
		t.Fatalf("test shape %dx%dx%d below the task threshold", m, in, out)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	rnd := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 2*rng.Float32() - 1
		}
		return s
	}
	xs, ws, cs := rnd(m*in), rnd(out*in), rnd(m*out)
	// float64 reference: dx = C·W, dW = Cᵀ·x (C = dloss/dy).
	dxRef := make([]float64, m*in)
	dwRef := make([]float64, out*in)
	for i := 0; i < m; i++ {
		for o := 0; o < out; o++ {
			c := float64(cs[i*out+o])
			for j := 0; j < in; j++ {
				dxRef[i*in+j] += c * float64(ws[o*in+j])
				dwRef[o*in+j] += c * float64(xs[i*in+j])
			}
		}
	}
	x := NewParam(append([]float32(nil), xs...), m, in)
	w := NewParam(append([]float32(nil), ws...), out, in)
	c := FromSlice(cs, m, out)
	for pass := 1; pass <= 2; pass++ {
		// x enters through an intermediate (fresh pooled gradient) too.
		if err := Sum(Mul(Linear(Scale(x, 1), w), c)).Backward(); err != nil {
			t.Fatal(err)
		}
		for _, chk := range []struct {
			name string
			got  []float32
			ref  []float64
		}{{"dx", x.Grad, dxRef}, {"dW", w.Grad, dwRef}} {
			for i, r := range chk.ref {
				want := float64(pass) * r
				if math.Abs(float64(chk.got[i])-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("%dx%dx%d pass %d: %s[%d] = %v, want %v", m, in, out, pass, chk.name, i, chk.got[i], want)
				}
			}
		}
	}
}
