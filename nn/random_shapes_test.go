package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRandomShapes draws shapes at random (seeded) for the ops a model
// uses and runs the float64 finite-difference check on each.
func TestRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 11))
	draws := 4
	if testing.Short() {
		draws = 2
	}
	var cases []gradCase
	for i := 0; i < draws; i++ {
		m, k, n := 1+r.IntN(5), 1+r.IntN(6), 1+r.IntN(5)
		lead := 1 + r.IntN(3)
		cases = append(cases, gradCase{
			name: fmt.Sprintf("linear[%d %d %d]x[%d %d]", lead, m, k, n, k), shapes: [][]int{{lead, m, k}, {n, k}},
			f:   func(in []*Value) *Value { return Linear(in[0], in[1]) },
			ref: func(in [][]float64) []float64 { return refMatMul(in[0], in[1], 1, lead*m, n, k, false, true, true) },
		})
		ta, tb := r.IntN(2) == 1, r.IntN(2) == 1
		as, bs := []int{lead, m, k}, []int{lead, k, n}
		if ta {
			as = []int{lead, k, m}
		}
		if tb {
			bs = []int{lead, n, k}
		}
		cases = append(cases, gradCase{
			name: fmt.Sprintf("matmul%v%v%v%v", as, ta, bs, tb), shapes: [][]int{as, bs},
			f:   func(in []*Value) *Value { return MatMul(in[0], in[1], ta, tb) },
			ref: func(in [][]float64) []float64 { return refMatMul(in[0], in[1], lead, m, n, k, ta, tb, false) },
		})
		rows, dim := 1+r.IntN(6), 2+r.IntN(9)
		cases = append(cases, gradCase{
			name: fmt.Sprintf("rmsnorm[%d %d]", rows, dim), shapes: [][]int{{rows, dim}, {dim}},
			f:   func(in []*Value) *Value { return RMSNorm(in[0], in[1], 1e-5) },
			ref: func(in [][]float64) []float64 { return refRMSNorm(in[0], in[1], dim, 1e-5) },
		})
		v := 2 + r.IntN(20)
		tg := make([]int, rows)
		for j := range tg {
			tg[j] = r.IntN(v+1) - 1 // includes ignored rows
		}
		cases = append(cases, gradCase{
			name: fmt.Sprintf("token_log_probs[%d %d]", rows, v), shapes: [][]int{{rows, v}},
			f: func(in []*Value) *Value { return TokenLogProbs(in[0], tg) },
			ref: func(in [][]float64) []float64 {
				ls := refLogSoftmax(in[0], v)
				o := make([]float64, rows)
				for j, x := range tg {
					if x >= 0 {
						o[j] = ls[j*v+x]
					}
				}
				return o
			},
		})
		nkv := 1 + r.IntN(2)
		nh := nkv * (1 + r.IntN(3))
		d := 2 * (1 + r.IntN(4))
		b, tt := 1+r.IntN(2), 1+r.IntN(7)
		cases = append(cases, gradCase{
			name:   fmt.Sprintf("attention b%d t%d h%d kv%d d%d", b, tt, nh, nkv, d),
			shapes: [][]int{{b, tt, nh * d}, {b, tt, nkv * d}, {b, tt, nkv * d}},
			f:      func(in []*Value) *Value { return Attention(in[0], in[1], in[2], nh, nkv) },
			ref:    func(in [][]float64) []float64 { return refAttention(in[0], in[1], in[2], b, tt, nh, nkv, d) },
		})
		maxPos := 1 + r.IntN(20)
		pos := make([]int, b*tt)
		for j := range pos {
			pos[j] = r.IntN(maxPos)
		}
		cos, sin, ang := ropeTables(maxPos, d)
		cases = append(cases, gradCase{
			name: fmt.Sprintf("rope b%d t%d h%d d%d", b, tt, nh, d), shapes: [][]int{{b, tt, nh * d}},
			f: func(in []*Value) *Value { return RoPE(in[0], nh, pos, cos, sin) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, len(in[0]))
				h := d / 2
				for row, p := range pos {
					for hd := 0; hd < nh; hd++ {
						x, y := in[0][row*nh*d+hd*d:], o[row*nh*d+hd*d:]
						for j := 0; j < h; j++ {
							c, s := math.Cos(ang[p][j]), math.Sin(ang[p][j])
							y[j] = x[j]*c - x[j+h]*s
							y[j+h] = x[j+h]*c + x[j]*s
						}
					}
				}
				return o
			},
			fwdTol: 1e-5,
		})
		n1 := 1 + r.IntN(4)
		cases = append(cases, gradCase{
			name: fmt.Sprintf("swiglu[%d %d]", rows, n1), shapes: [][]int{{rows, n1}, {rows, n1}},
			f: func(in []*Value) *Value { return SwiGLU(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				o := make([]float64, rows*n1)
				for j := range o {
					o[j] = in[0][j] * sig(in[0][j]) * in[1][j]
				}
				return o
			},
		})
	}
	runCases(t, cases)
}
