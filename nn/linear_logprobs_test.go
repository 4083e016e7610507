package nn

import (
	"math"
	"testing"

	"github.com/popi-go/popi/tensor"
)

func TestLinearLogProbsGrad(t *testing.T) {
	targets := []int{3, -1, 0, 8, 8, 2}
	runCases(t, []gradCase{{
		name: "linear_log_probs", shapes: [][]int{{2, 3, 5}, {9, 5}},
		f: func(in []*Value) *Value { return LinearLogProbs(in[0], in[1], targets, 0.7) },
		ref: func(in [][]float64) []float64 {
			lg := refMatMul(in[0], in[1], 1, 6, 9, 5, false, true, true)
			for i := range lg {
				lg[i] *= float64(float32(0.7))
			}
			ls := refLogSoftmax(lg, 9)
			o := make([]float64, 6)
			for r, tg := range targets {
				if tg >= 0 {
					o[r] = ls[r*9+tg]
				}
			}
			return o
		},
	}})
}

// TestLinearLogProbsMatchesUnfused compares with Linear + Scale +
// TokenLogProbs over several row chunks, with a trainable and a frozen BF16
// weight.
func TestLinearLogProbsMatchesUnfused(t *testing.T) {
	const rows, d, v = 37, 16, 600
	defer func(n int) { logitChunkElems = n }(logitChunkElems)
	logitChunkElems = 8 * v // chunks of 8 rows, the last one partial
	targets := make([]int, rows)
	for i := range targets {
		targets[i] = (i * 104729) % v
	}
	targets[5] = -1
	w0 := tensor.RandN(2, 0.1, v, d).To(tensor.BF16).To(tensor.F32)
	for _, frozen := range []bool{false, true} {
		h0 := tensor.RandN(1, 1, rows, d)
		ha, hb := Param(h0.Clone()), Param(h0.Clone())
		var wa, wb *Value
		if frozen {
			wa, wb = Const(w0.To(tensor.BF16)), Const(w0)
		} else {
			wa, wb = Param(w0.Clone()), Param(w0.Clone())
		}
		a := LinearLogProbs(ha, wa, targets, 0.5)
		b := TokenLogProbs(Scale(Linear(hb, wb), 0.5), targets)
		seed := make([]float32, rows)
		for i := range seed {
			seed[i] = float32(i%5) - 2
		}
		for i := range a.Data {
			if math.Abs(float64(a.Data[i]-b.Data[i])) > 1e-4 {
				t.Fatalf("frozen=%v row %d: fused %v unfused %v", frozen, i, a.Data[i], b.Data[i])
			}
		}
		if err := a.BackwardWith(seed); err != nil {
			t.Fatal(err)
		}
		if err := b.BackwardWith(seed); err != nil {
			t.Fatal(err)
		}
		cmp := func(name string, x, y []float32) {
			var m float64
			for _, v := range y {
				m = math.Max(m, math.Abs(float64(v)))
			}
			for i := range x {
				if math.Abs(float64(x[i]-y[i])) > 1e-4*m {
					t.Fatalf("frozen=%v %s[%d]: fused %v unfused %v", frozen, name, i, x[i], y[i])
				}
			}
		}
		cmp("dh", ha.Grad, hb.Grad)
		if !frozen {
			cmp("dW", wa.Grad, wb.Grad)
		}
	}
}

func TestLinearCrossEntropy(t *testing.T) {
	h0, w0 := tensor.RandN(1, 1, 6, 4), tensor.RandN(2, 0.5, 11, 4)
	tg := []int{1, 10, -1, 0, 4, 4}
	ha, wa, hb, wb := Param(h0.Clone()), Param(w0.Clone()), Param(h0.Clone()), Param(w0.Clone())
	a := LinearCrossEntropy(ha, wa, tg)
	b := CrossEntropy(Linear(hb, wb), tg)
	if math.Abs(float64(a.Item()-b.Item())) > 1e-6 {
		t.Fatalf("loss %v vs %v", a.Item(), b.Item())
	}
	a.Backward()
	b.Backward()
	for i := range wa.Grad {
		if math.Abs(float64(wa.Grad[i]-wb.Grad[i])) > 1e-6 {
			t.Fatalf("dW[%d] %v vs %v", i, wa.Grad[i], wb.Grad[i])
		}
	}
	for i := range ha.Grad {
		if math.Abs(float64(ha.Grad[i]-hb.Grad[i])) > 1e-6 {
			t.Fatalf("dh[%d] %v vs %v", i, ha.Grad[i], hb.Grad[i])
		}
	}
}
