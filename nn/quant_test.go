package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/popi-go/popi/kernels"
)

// quantMatrix quantizes a random [rows, cols] matrix to t and returns its
// blocks and their dequantized values (what the quantized ops compute with).
func quantMatrix(t kernels.QType, rows, cols int, seed uint64) ([]byte, []float32) {
	r := rand.New(rand.NewPCG(seed, 3))
	rb := t.RowBytes(cols)
	q := make([]byte, rows*rb)
	src := make([]float32, cols)
	for i := 0; i < rows; i++ {
		for j := range src {
			src[j] = float32(r.NormFloat64() * 0.5)
		}
		kernels.QuantizeRow(t, q[i*rb:(i+1)*rb], src)
	}
	deq := make([]float32, rows*cols)
	for i := 0; i < rows; i++ {
		kernels.DequantizeRow(t, deq[i*cols:(i+1)*cols], q[i*rb:(i+1)*rb])
	}
	return q, deq
}

func f64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

var quantTypes = []kernels.QType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q6_K}

// LoRA on a frozen quantized base (QLoRA): the output and the gradients of
// x, A and B agree with finite differences of a float64 reference that
// uses the dequantized weights, for every format, on the panel path (few
// rows) and on kernels.QGemm's (more rows), for one weight, two weights
// stacked in one buffer (fused Q/K/V) and two of different formats.
func TestQuantLoRAGrad(t *testing.T) {
	const in, r, out1, out2 = 256, 3, 12, 5
	const s = 1.5
	for _, qt := range quantTypes {
		q1, w1 := quantMatrix(qt, out1, in, 1)
		q2, w2 := quantMatrix(qt, out2, in, 2)
		other := kernels.Q6_K
		if qt == kernels.Q6_K {
			other = kernels.Q8_0
		}
		q3, w3 := quantMatrix(other, out2, in, 3)
		// q1 and q2 back to back in one buffer, q1's capacity spanning both
		fused := append(append([]byte(nil), q1...), q2...)
		for _, m := range []int{3, 9} {
			one := gradCase{
				name:   "one",
				shapes: [][]int{{m, in}, {r, in}, {out1, r}},
				f: func(v []*Value) *Value {
					return LinearLoRA(v[0], []*Value{QuantConst(qt, q1, out1, in)}, []*LoRA{{A: v[1], B: v[2], Scale: s}})
				},
				ref:    func(v [][]float64) []float64 { return loraRef(v[0], f64s(w1), v[1], v[2], m, in, out1, r, s, 0, 0) },
				sample: 40,
			}
			two := func(name string, w2q []byte, w2f []float32, t2 kernels.QType, stackedBuf bool) gradCase {
				return gradCase{
					name:   name,
					shapes: [][]int{{m, in}, {r, in}, {out1, r}, {r, in}, {out2, r}},
					f: func(v []*Value) *Value {
						a, b := QuantConst(qt, q1, out1, in), QuantConst(t2, w2q, out2, in)
						if stackedBuf {
							a = QuantConst(qt, fused[:len(q1)], out1, in)
							b = QuantConst(qt, fused[len(q1):], out2, in)
						}
						return LinearLoRA(v[0], []*Value{a, b}, []*LoRA{{A: v[1], B: v[2], Scale: s}, {A: v[3], B: v[4], Scale: 0.5}})
					},
					ref: func(v [][]float64) []float64 {
						y1 := loraRef(v[0], f64s(w1), v[1], v[2], m, in, out1, r, s, 0, 0)
						y2 := loraRef(v[0], f64s(w2f), v[3], v[4], m, in, out2, r, 0.5, 0, 0)
						y := make([]float64, 0, m*(out1+out2))
						for i := 0; i < m; i++ {
							y = append(append(y, y1[i*out1:(i+1)*out1]...), y2[i*out2:(i+1)*out2]...)
						}
						return y
					},
					sample: 40,
				}
			}
			for _, c := range []gradCase{one, two("stacked", q2, w2, qt, true), two("mixed", q3, w3, other, false)} {
				t.Run(fmt.Sprintf("%v/m%d/%s", qt, m, c.name), func(t *testing.T) {
					if c.name == "stacked" && stackedQuantWeights([]*Value{QuantConst(qt, fused[:len(q1)], out1, in), QuantConst(qt, fused[len(q1):], out2, in)}) == nil {
						t.Fatal("weights in one buffer not seen as stacked")
					}
					checkGrad(t, c, 1)
				})
			}
		}
	}
}

// Linear, LinearLogProbs and Embedding on a quantized constant equal the
// same ops on its dequantized float32 copy (values and input gradients).
func TestQuantOpsMatchDequantized(t *testing.T) {
	const in, out = 256, 40
	for _, qt := range quantTypes {
		q, deq := quantMatrix(qt, out, in, 5)
		for _, m := range []int{2, 7} {
			t.Run(fmt.Sprintf("%v/m%d", qt, m), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(m), 9))
				xd := randSlice(r, m*in)
				targets := make([]int, m)
				for i := range targets {
					targets[i] = r.IntN(out)
				}
				targets[0] = -1
				run := func(w *Value) (lin, lp, emb, dxLin, dxLP []float32) {
					x := NewParam(append([]float32(nil), xd...), m, in)
					y := Linear(x, w)
					if err := Sum(y).Backward(); err != nil {
						t.Fatal(err)
					}
					x2 := NewParam(append([]float32(nil), xd...), m, in)
					l := LinearLogProbs(x2, w, targets, 0.7)
					if err := Sum(l).Backward(); err != nil {
						t.Fatal(err)
					}
					e := Embedding(w, []int{3, 0, out - 1, 3})
					return y.Data, l.Data, e.Data, x.Grad, x2.Grad
				}
				a1, a2, a3, a4, a5 := run(QuantConst(qt, q, out, in))
				b1, b2, b3, b4, b5 := run(FromSlice(deq, out, in))
				for k, p := range [][2][]float32{{a1, b1}, {a2, b2}, {a3, b3}, {a4, b4}, {a5, b5}} {
					scale := 1e-6
					for _, v := range p[1] {
						scale = math.Max(scale, math.Abs(float64(v)))
					}
					for i := range p[1] {
						if d := math.Abs(float64(p[0][i] - p[1][i])); d > 1e-5*scale {
							t.Fatalf("result %d [%d]: quantized %v, dequantized %v", k, i, p[0][i], p[1][i])
						}
					}
				}
			})
		}
	}
}

// A quantized constant is frozen: no gradient, and bad shapes panic with a
// message (programming errors).
func TestQuantConstChecks(t *testing.T) {
	q, _ := quantMatrix(kernels.Q8_0, 4, 64, 1)
	w := QuantConst(kernels.Q8_0, q, 4, 64)
	if w.RequiresGrad || !w.IsQuant() {
		t.Fatal("QuantConst must be a frozen quantized constant")
	}
	for _, f := range []func(){
		func() { QuantConst(kernels.Q8_0, q, 4, 60) }, // not whole blocks
		func() { QuantConst(kernels.Q8_0, q, 5, 64) }, // too few bytes
		func() { QuantConst(kernels.Q4_K, q, 4, 64) }, // block 256
		func() { MatMul(FromSlice(make([]float32, 8), 2, 4), w, false, true) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		}()
	}
}
