package nn

import (
	"math"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// seedPoolNaN puts NaN-filled buffers of length n into the gradient pool,
// so the next intermediate gradients of that size start dirty: an op that
// skipped an element of a fresh buffer would leak NaN.
func seedPoolNaN(n, count int) {
	for range count {
		b := make([]float32, n)
		for i := range b {
			b[i] = float32(math.NaN())
		}
		putBuf(b)
	}
}

func filled(n int, f func(i int) float32) []float32 {
	d := make([]float32, n)
	for i := range d {
		d[i] = f(i)
	}
	return d
}

// gradsOf runs build's loss backward and returns copies of the leaves'
// gradients.
func gradsOf(t *testing.T, build func() (*Value, []*Value)) [][]float32 {
	t.Helper()
	loss, leaves := build()
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(leaves))
	for i, l := range leaves {
		out[i] = append([]float32(nil), l.Grad...)
	}
	return out
}

func TestFreshGradientsOverwriteDirtyBuffers(t *testing.T) {
	const rows, in, outF, vocab = 48, 40, 64, 96 // intermediates >= 1024 floats
	cases := map[string]func() (*Value, []*Value){
		"linear+token_log_probs": func() (*Value, []*Value) {
			x := NewParam(filled(rows*in, func(i int) float32 { return float32(i%9)*0.1 - 0.4 }), rows, in)
			w := NewParam(filled(vocab*in, func(i int) float32 { return float32(i%7)*0.05 - 0.15 }), vocab, in)
			h := Scale(x, 1.5) // intermediate input: its gradient is pooled
			targets := make([]int, rows)
			for i := range targets {
				targets[i] = (i * 5) % vocab
			}
			targets[3], targets[17] = -1, -1 // ignored rows stay zero
			lp := TokenLogProbs(Linear(h, w), targets)
			// weight row 20 by zero: a row with g == 0
			mask := filled(rows, func(i int) float32 {
				if i == 20 {
					return 0
				}
				return 1
			})
			return Sum(Mul(lp, Const(tensor.FromF32(mask, rows)))), []*Value{x, w}
		},
		"swiglu": func() (*Value, []*Value) {
			x := NewParam(filled(rows*in, func(i int) float32 { return float32(i%11)*0.1 - 0.5 }), rows, in)
			wg := NewParam(filled(outF*in, func(i int) float32 { return float32(i%5)*0.07 - 0.1 }), outF, in)
			wu := NewParam(filled(outF*in, func(i int) float32 { return float32(i%3)*0.06 - 0.05 }), outF, in)
			g := Linear(x, wg)
			return Sum(SwiGLU(g, Linear(x, wu))), []*Value{x, wg, wu}
		},
		"swiglu same input": func() (*Value, []*Value) {
			x := NewParam(filled(rows*in, func(i int) float32 { return float32(i%11)*0.1 - 0.5 }), rows, in)
			wg := NewParam(filled(outF*in, func(i int) float32 { return float32(i%5)*0.07 - 0.1 }), outF, in)
			g := Linear(x, wg)
			return Sum(SwiGLU(g, g)), []*Value{x, wg}
		},
	}
	for name, build := range cases {
		ReleaseBuffers()
		clean := gradsOf(t, build) // buffers new (zeroed by make)
		for _, n := range []int{rows * in, rows * outF, rows * vocab} {
			seedPoolNaN(n, 4)
		}
		dirty := gradsOf(t, build)
		for i := range clean {
			for j := range clean[i] {
				if clean[i][j] != dirty[i][j] {
					t.Fatalf("%s: leaf %d grad[%d] = %v with dirty pooled buffers, %v with clean ones", name, i, j, dirty[i][j], clean[i][j])
				}
			}
		}
	}
	ReleaseBuffers()
}
