package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// A gradCase checks one op: f builds it with nn from the inputs, ref
// computes the same function in float64 independently. The checker compares
// the forward values and, for loss = Σ w∘out with random w, the autograd
// gradient of every input against central finite differences of ref in
// float64.
type gradCase struct {
	name   string
	shapes [][]int
	init   func(r *rand.Rand, i int, x []float64) // optional input initialiser
	f      func(in []*Value) *Value
	ref    func(in [][]float64) []float64
	fwdTol float64 // relative to max |ref|; default 1e-5
	tol    float64 // gradient tolerance relative to max |fd grad|; default 2e-3
	noGrad []bool  // inputs that are constants (not checked)
	sample int     // if > 0, finite-difference only this many random elements per input
}

func randInputs(r *rand.Rand, c gradCase) [][]float64 {
	in := make([][]float64, len(c.shapes))
	for i, s := range c.shapes {
		in[i] = make([]float64, numel(s))
		if c.init != nil {
			c.init(r, i, in[i])
			continue
		}
		for j := range in[i] {
			in[i][j] = r.NormFloat64()
		}
	}
	// round to float32 so both paths see the same inputs
	for _, x := range in {
		for j := range x {
			x[j] = float64(float32(x[j]))
		}
	}
	return in
}

func checkGrad(t *testing.T, c gradCase, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	in := randInputs(r, c)
	vals := make([]*Value, len(in))
	for i, x := range in {
		d := make([]float32, len(x))
		for j, v := range x {
			d[j] = float32(v)
		}
		if c.noGrad != nil && c.noGrad[i] {
			vals[i] = FromSlice(d, c.shapes[i]...)
		} else {
			vals[i] = NewParam(d, c.shapes[i]...)
		}
	}
	out := c.f(vals)
	want := c.ref(in)
	if len(out.Data) != len(want) {
		t.Fatalf("%s: forward has %d values, reference %d", c.name, len(out.Data), len(want))
	}
	fwdTol := c.fwdTol
	if fwdTol == 0 {
		fwdTol = 1e-5
	}
	scale := 1e-30
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	for i, v := range want {
		if d := math.Abs(float64(out.Data[i]) - v); d > fwdTol*math.Max(scale, 1) || math.IsNaN(float64(out.Data[i])) {
			t.Fatalf("%s: forward[%d] = %v, reference %v (diff %.3g)", c.name, i, out.Data[i], v, d)
		}
	}
	w := make([]float64, len(want))
	wf := make([]float32, len(want))
	for i := range w {
		w[i] = float64(float32(r.NormFloat64()))
		wf[i] = float32(w[i])
	}
	loss := func(in [][]float64) float64 {
		o := c.ref(in)
		var s float64
		for i, v := range o {
			s += w[i] * v
		}
		return s
	}
	if err := out.BackwardWith(wf); err != nil {
		t.Fatalf("%s: Backward: %v", c.name, err)
	}
	tol := c.tol
	if tol == 0 {
		tol = 2e-3
	}
	for i, x := range in {
		if c.noGrad != nil && c.noGrad[i] {
			continue
		}
		fd := make([]float64, len(x))
		gmax := 1e-6
		idx := make([]int, len(x))
		for j := range idx {
			idx[j] = j
		}
		if c.sample > 0 && c.sample < len(x) {
			r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
			idx = idx[:c.sample]
		}
		for _, j := range idx {
			orig := x[j]
			h := 1e-6 * math.Max(1, math.Abs(orig))
			x[j] = orig + h
			lp := loss(in)
			x[j] = orig - h
			lm := loss(in)
			x[j] = orig
			fd[j] = (lp - lm) / (2 * h)
			gmax = math.Max(gmax, math.Abs(fd[j]))
		}
		g := vals[i].Grad
		if g == nil {
			g = make([]float32, len(x)) // no gradient reached it: must be all zero
		}
		for _, j := range idx {
			if d := math.Abs(float64(g[j]) - fd[j]); d > tol*gmax || math.IsNaN(float64(g[j])) {
				t.Fatalf("%s: d/d input %d [%d]: autograd %v, finite differences %v (diff %.3g, scale %.3g)",
					c.name, i, j, g[j], fd[j], d, gmax)
			}
		}
	}
}

func runCases(t *testing.T, cases []gradCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for s := uint64(1); s <= 2; s++ {
				checkGrad(t, c, s)
			}
		})
	}
}

// shapeStr is used to name random-shape cases.
func shapeStr(s ...int) string { return fmt.Sprint(s) }
