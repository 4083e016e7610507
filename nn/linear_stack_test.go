package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// stackLayout says how TestLinearStack lays out the weights.
type stackLayout int

const (
	stackSeparate stackLayout = iota // separate slices: one GEMM per weight
	stackFused                       // views of one buffer: one GEMM
	stackFrozen                      // views of one buffer, the second weight frozen
	stackHalf                        // the second weight a frozen bf16 constant
)

func (l stackLayout) String() string {
	return [...]string{"separate", "fused", "frozen", "half"}[l]
}

// TestLinearStack checks LinearStack's output and gradients against a
// float64 reference for each weight layout, on a small (serial) and a
// large (task-parallel backward) shape, over two backward passes
// (gradients accumulate), with x entering as an intermediate (pooled,
// possibly dirty gradient).
func TestLinearStack(t *testing.T) {
	shapes := []struct {
		m, in int
		outs  []int
	}{{5, 7, []int{3, 2, 4}}, {300, 260, []int{256, 64, 64}}, {9, 16, []int{0, 8}}}
	for _, s := range shapes {
		for _, lay := range []stackLayout{stackSeparate, stackFused, stackFrozen, stackHalf} {
			if lay >= stackFrozen && len(s.outs) < 2 || s.outs[0] == 0 && lay != stackSeparate {
				continue
			}
			t.Run(fmt.Sprintf("%dx%dx%v/%v", s.m, s.in, s.outs, lay), func(t *testing.T) {
				testLinearStack(t, s.m, s.in, s.outs, lay)
			})
		}
	}
}

func testLinearStack(t *testing.T, m, in int, outs []int, lay stackLayout) {
	rng := rand.New(rand.NewPCG(uint64(m), uint64(len(outs))))
	rnd := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(int(8*rng.Float32())-4) / 4 // exact in bf16
		}
		return s
	}
	total := 0
	for _, o := range outs {
		total += o
	}
	xs, cs := rnd(m*in), rnd(m*total)
	whole := rnd(total * in)
	ws := make([]*Value, len(outs))
	off := 0
	for i, o := range outs {
		n := o * in
		var w *Value
		switch {
		case lay == stackHalf && i == 1:
			w = Const(tensor.FromF32(whole[off:off+n], o, in).To(tensor.BF16))
		case lay == stackSeparate || lay == stackHalf:
			w = NewParam(append([]float32(nil), whole[off:off+n]...), o, in)
		case i == 0:
			w = NewParam(whole[:n], o, in) // capacity spans the rest
		default:
			w = NewParam(whole[off:off+n:off+n], o, in)
		}
		if lay == stackFrozen && i == 1 {
			w.RequiresGrad = false
		}
		ws[i] = w
		off += n
	}
	if got := stackedWeights(ws) != nil; got != (lay == stackFused || lay == stackFrozen) {
		t.Fatalf("stackedWeights found stacking %v for layout %v", got, lay)
	}
	// float64 reference: y = x·Wᵀ, dx = C·W, dW = Cᵀ·x (C = dloss/dy).
	yRef := make([]float64, m*total)
	dxRef := make([]float64, m*in)
	dwRef := make([]float64, total*in)
	for i := 0; i < m; i++ {
		for o := 0; o < total; o++ {
			c := float64(cs[i*total+o])
			for j := 0; j < in; j++ {
				yRef[i*total+o] += float64(xs[i*in+j]) * float64(whole[o*in+j])
				dxRef[i*in+j] += c * float64(whole[o*in+j])
				dwRef[o*in+j] += c * float64(xs[i*in+j])
			}
		}
	}
	near := func(got float32, want float64) bool {
		return math.Abs(float64(got)-want) <= 1e-4*(1+math.Abs(want))
	}
	x := NewParam(xs, m, in)
	c := FromSlice(cs, m, total)
	seedPoolNaN(m*in, 2)
	defer ReleaseBuffers()
	for pass := 1; pass <= 2; pass++ {
		y := LinearStack(Scale(x, 1), ws...)
		if len(y.Shape) != 2 || y.Shape[0] != m || y.Shape[1] != total {
			t.Fatalf("output shape %v", y.Shape)
		}
		for i, r := range yRef {
			if !near(y.Data[i], r) {
				t.Fatalf("pass %d: y[%d] = %v, want %v", pass, i, y.Data[i], r)
			}
		}
		if err := Sum(Mul(y, c)).Backward(); err != nil {
			t.Fatal(err)
		}
		for i, r := range dxRef {
			if !near(x.Grad[i], float64(pass)*r) {
				t.Fatalf("pass %d: dx[%d] = %v, want %v", pass, i, x.Grad[i], float64(pass)*r)
			}
		}
		off := 0
		for wi, w := range ws {
			n := outs[wi] * in
			if !w.RequiresGrad {
				if w.Grad != nil {
					t.Fatalf("frozen weight %d got a gradient", wi)
				}
				off += n
				continue
			}
			for i := 0; i < n; i++ {
				if !near(w.Grad[i], float64(pass)*dwRef[off+i]) {
					t.Fatalf("pass %d: dW%d[%d] = %v, want %v", pass, wi, i, w.Grad[i], float64(pass)*dwRef[off+i])
				}
			}
			off += n
		}
		if lay == stackFused {
			if stackedGrads(ws) == nil {
				t.Fatal("gradients of fused weights were not allocated stacked")
			}
		}
	}
}

func TestSplitLastAndSwiGLUStackedGrad(t *testing.T) {
	runCases(t, []gradCase{
		{name: "split", shapes: [][]int{{2, 3, 9}},
			f: func(in []*Value) *Value {
				p := SplitLast(in[0], 4, 0, 2, 3)
				// every part reaches the loss with its own weight
				return Concat(-1, Scale(p[0], 2), p[1], Scale(p[2], -1), p[3])
			},
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 0, 54)
				for r := 0; r < 6; r++ {
					row := in[0][r*9 : (r+1)*9]
					for j, v := range row {
						switch {
						case j < 4:
							v *= 2
						case j < 6:
							v = -v
						}
						o = append(o, v)
					}
				}
				return o
			}},
		{name: "split-unused-part", shapes: [][]int{{4, 5}},
			f:   func(in []*Value) *Value { return SplitLast(in[0], 2, 3)[1] },
			ref: func(in [][]float64) []float64 { return refCols(in[0], 4, 5, 2, 5) }},
		{name: "swiglu-stacked", shapes: [][]int{{3, 2, 14}},
			f: func(in []*Value) *Value { return SwiGLUStacked(in[0]) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 0, 42)
				for r := 0; r < 6; r++ {
					row := in[0][r*14 : (r+1)*14]
					for j := 0; j < 7; j++ {
						g := row[j]
						o = append(o, g*sig(g)*row[7+j])
					}
				}
				return o
			}},
		{name: "swiglu-stacked-shared", shapes: [][]int{{5, 6}},
			// gu also feeds another op, so its gradient is accumulated into
			f: func(in []*Value) *Value { return Concat(-1, SwiGLUStacked(in[0]), in[0]) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, 0, 45)
				for r := 0; r < 5; r++ {
					row := in[0][r*6 : (r+1)*6]
					for j := 0; j < 3; j++ {
						o = append(o, row[j]*sig(row[j])*row[3+j])
					}
					o = append(o, row...)
				}
				return o
			}},
	})
}

// refCols keeps columns [c0, c1) of a rows×w matrix.
func refCols(x []float64, rows, w, c0, c1 int) []float64 {
	var o []float64
	for r := 0; r < rows; r++ {
		o = append(o, x[r*w+c0:r*w+c1]...)
	}
	return o
}

// TestSwiGLUStackedMatchesSwiGLU: the stacked form gives SwiGLU's values
// and gradients (up to the rounding of the kernels' vector tails) on a
// size that runs in parallel chunks.
func TestSwiGLUStackedMatchesSwiGLU(t *testing.T) {
	const rows, f = 70, 300
	rng := rand.New(rand.NewPCG(3, 3))
	gu := make([]float32, rows*2*f)
	for i := range gu {
		gu[i] = float32(rng.NormFloat64() * 3)
	}
	gate, up := make([]float32, rows*f), make([]float32, rows*f)
	for r := 0; r < rows; r++ {
		copy(gate[r*f:], gu[r*2*f:r*2*f+f])
		copy(up[r*f:], gu[r*2*f+f:(r+1)*2*f])
	}
	seedPoolNaN(rows*2*f, 2)
	defer ReleaseBuffers()
	a := NewParam(gu, rows, 2*f)
	ya := SwiGLUStacked(Scale(a, 1))
	g, u := NewParam(gate, rows, f), NewParam(up, rows, f)
	yb := SwiGLU(g, u)
	seed := make([]float32, rows*f)
	for i := range seed {
		seed[i] = float32(rng.NormFloat64())
	}
	for i := range ya.Data {
		if !close32(ya.Data[i], yb.Data[i]) {
			t.Fatalf("forward[%d]: stacked %v, separate %v", i, ya.Data[i], yb.Data[i])
		}
	}
	if err := ya.BackwardWith(seed); err != nil {
		t.Fatal(err)
	}
	if err := yb.BackwardWith(seed); err != nil {
		t.Fatal(err)
	}
	for r := 0; r < rows; r++ {
		for j := 0; j < f; j++ {
			if !close32(a.Grad[r*2*f+j], g.Grad[r*f+j]) || !close32(a.Grad[r*2*f+f+j], u.Grad[r*f+j]) {
				t.Fatalf("row %d col %d: stacked grads %v %v, separate %v %v", r, j,
					a.Grad[r*2*f+j], a.Grad[r*2*f+f+j], g.Grad[r*f+j], u.Grad[r*f+j])
			}
		}
	}
}

// close32 reports |a-b| <= 1e-6·(1+|b|) (NaN never is).
func close32(a, b float32) bool {
	return math.Abs(float64(a)-float64(b)) <= 1e-6*(1+math.Abs(float64(b)))
}
