package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// loraRef computes x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ in float64 for x [m, in],
// W [out, in], A [r, in], B [out, r]; p > 0 applies dropKeep's mask.
func loraRef(x, w, a, b []float64, m, in, out, r int, s float64, p float32, seed uint64) []float64 {
	y := make([]float64, m*out)
	thr := dropThreshold(p)
	xin := make([]float64, len(x))
	for i, v := range x {
		switch {
		case p == 0:
			xin[i] = v
		case dropKeep(seed, i, thr):
			xin[i] = v * float64(float32(1/(1-p)))
		}
	}
	for i := 0; i < m; i++ {
		t := make([]float64, r)
		for k := 0; k < r; k++ {
			for j := 0; j < in; j++ {
				t[k] += xin[i*in+j] * a[k*in+j]
			}
		}
		for o := 0; o < out; o++ {
			var acc float64
			for j := 0; j < in; j++ {
				acc += x[i*in+j] * w[o*in+j]
			}
			for k := 0; k < r; k++ {
				acc += s * t[k] * b[o*r+k]
			}
			y[i*out+o] = acc
		}
	}
	return y
}

// LinearLoRA's output and the gradients of x, A, B (and of a trainable W)
// agree with finite differences of a float64 reference, with and without
// dropout, on one weight and on two side by side (adapter on either).
func TestLinearLoRAGrad(t *testing.T) {
	const m, in, r = 5, 6, 3
	const s = 1.75
	one := func(p float32, wGrad bool) gradCase {
		return gradCase{
			name:   "one",
			shapes: [][]int{{m, in}, {4, in}, {r, in}, {4, r}},
			noGrad: []bool{false, !wGrad, false, false},
			f: func(v []*Value) *Value {
				return LinearLoRA(v[0], []*Value{v[1]}, []*LoRA{{A: v[2], B: v[3], Scale: s, Dropout: p, Seed: 42}})
			},
			ref: func(v [][]float64) []float64 { return loraRef(v[0], v[1], v[2], v[3], m, in, 4, r, s, p, 42) },
		}
	}
	// Two weights [4, in] and [2, in]; adapters on the second, or on both.
	two := func(both bool, p float32, p2 ...float32) gradCase {
		q := p // dropout of the second adapter
		if len(p2) > 0 {
			q = p2[0]
		}
		return gradCase{
			name:   "two",
			shapes: [][]int{{m, in}, {4, in}, {2, in}, {r, in}, {2, r}, {r, in}, {4, r}},
			noGrad: []bool{false, true, true, false, false, !both, !both},
			f: func(v []*Value) *Value {
				l := []*LoRA{nil, {A: v[3], B: v[4], Scale: s, Dropout: q, Seed: 7}}
				if both {
					l[0] = &LoRA{A: v[5], B: v[6], Scale: 0.5, Dropout: p, Seed: 8}
				}
				return LinearLoRA(v[0], []*Value{v[1], v[2]}, l)
			},
			ref: func(v [][]float64) []float64 {
				y1 := loraRef(v[0], v[1], v[5], v[6], m, in, 4, r, 0.5, p, 8)
				if !both {
					y1 = loraRef(v[0], v[1], v[5], make([]float64, 4*r), m, in, 4, r, 0, 0, 0)
				}
				y2 := loraRef(v[0], v[2], v[3], v[4], m, in, 2, r, s, q, 7)
				y := make([]float64, 0, m*6)
				for i := 0; i < m; i++ {
					y = append(append(y, y1[i*4:(i+1)*4]...), y2[i*2:(i+1)*2]...)
				}
				return y
			},
		}
	}
	for _, c := range []struct {
		name string
		c    gradCase
	}{
		{"frozen", one(0, false)},
		{"trainable-w", one(0, true)},
		{"dropout", one(0.3, false)},
		{"stack-second", two(false, 0)},
		{"stack-both", two(true, 0)},
		{"stack-both-dropout", two(true, 0.25)},
		{"stack-mixed-dropout", two(true, 0.25, 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 2; seed++ {
				checkGrad(t, c.c, seed)
			}
		})
	}
}

// With B = 0 the adapted projection equals the plain one bit for bit.
func TestLinearLoRAZeroB(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := NewParam(randSlice(rng, 7*16), 7, 16)
	w1 := FromSlice(randSlice(rng, 12*16), 12, 16)
	w2 := FromSlice(randSlice(rng, 8*16), 8, 16)
	a := NewParam(randSlice(rng, 4*16), 4, 16)
	b := NewParam(make([]float32, 8*4), 8, 4)
	want := LinearStack(x.Detach(), w1, w2)
	got := LinearLoRA(x, []*Value{w1, w2}, []*LoRA{nil, {A: a, B: b, Scale: 2, Dropout: 0.1, Seed: 1}})
	for i := range want.Data {
		if math.Float32bits(want.Data[i]) != math.Float32bits(got.Data[i]) {
			t.Fatalf("element %d: %v with a zero B, %v without adapter", i, got.Data[i], want.Data[i])
		}
	}
	if err := Sum(got).Backward(); err != nil {
		t.Fatal(err)
	}
	for _, v := range b.Grad {
		if v == 0 {
			t.Fatalf("B got no gradient: %v", b.Grad)
		}
	}
	for _, v := range a.Grad {
		if v != 0 {
			t.Fatalf("A's gradient must be 0 while B = 0: %v", a.Grad)
		}
	}
}

// Frozen weights stacked in one buffer (f32 or bf16) give one GEMM per pass
// with the same forward values and input gradient as separate weights.
func TestLinearStackFrozenStacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const m, in = 9, 32
	outs := []int{16, 8, 8}
	buf := randSlice(rng, 32*in)
	for _, half := range []bool{false, true} {
		var stackedW, separate []*Value
		u := make([]uint16, len(buf))
		tensor.BF16.FromF32(u, buf)
		off := 0
		for _, o := range outs {
			n := o * in
			if half {
				stackedW = append(stackedW, Const(tensor.FromU16(tensor.BF16, u[off:off+n], o, in)))
				separate = append(separate, Const(tensor.FromU16(tensor.BF16, append([]uint16(nil), u[off:off+n]...), o, in)))
			} else {
				stackedW = append(stackedW, FromSlice(buf[off:off+n], o, in))
				separate = append(separate, FromSlice(append([]float32(nil), buf[off:off+n]...), o, in))
			}
			off += n
		}
		if half {
			if h, _ := stackedHalfWeights(stackedW); h == nil {
				t.Fatal("bf16 weights in one buffer not seen as stacked")
			}
		}
		xd := randSlice(rng, m*in)
		run := func(ws []*Value) ([]float32, []float32) {
			x := NewParam(append([]float32(nil), xd...), m, in)
			y := LinearStack(x, ws...)
			out := append([]float32(nil), y.Data...)
			if err := Sum(y).Backward(); err != nil {
				t.Fatal(err)
			}
			return out, x.Grad
		}
		y1, g1 := run(stackedW)
		y2, g2 := run(separate)
		for i := range y1 {
			if d := math.Abs(float64(y1[i] - y2[i])); d > 1e-5 {
				t.Fatalf("half %v: y[%d] %v stacked, %v separate", half, i, y1[i], y2[i])
			}
		}
		for i := range g1 {
			if d := math.Abs(float64(g1[i] - g2[i])); d > 1e-4 {
				t.Fatalf("half %v: dx[%d] %v stacked, %v separate", half, i, g1[i], g2[i])
			}
		}
	}
}

// The dropout mask depends only on the seed and the index, keeps about
// 1-p of the elements and scales them by 1/(1-p).
func TestLoRADropoutMask(t *testing.T) {
	src := make([]float32, 100000)
	for i := range src {
		src[i] = 1
	}
	a, b := make([]float32, len(src)), make([]float32, len(src))
	dropout(a, src, 0.25, 9)
	dropout(b, src, 0.25, 9)
	kept := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("mask not reproducible")
		}
		if a[i] != 0 {
			kept++
			if math.Abs(float64(a[i])-4.0/3) > 1e-6 {
				t.Fatalf("kept value %v, want 4/3", a[i])
			}
		}
	}
	if f := float64(kept) / float64(len(a)); math.Abs(f-0.75) > 0.01 {
		t.Errorf("kept fraction %v, want 0.75", f)
	}
	dropout(b, src, 0.25, 10)
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	if same == len(a) {
		t.Error("another seed gave the same mask")
	}
}

// Bad adapters are programmer errors and panic with a message.
func TestLinearLoRAShapePanics(t *testing.T) {
	x := FromSlice(make([]float32, 12), 2, 6)
	w := FromSlice(make([]float32, 24), 4, 6)
	for name, l := range map[string]*LoRA{
		"A cols":  {A: FromSlice(make([]float32, 10), 2, 5), B: FromSlice(make([]float32, 8), 4, 2)},
		"B rows":  {A: FromSlice(make([]float32, 12), 2, 6), B: FromSlice(make([]float32, 6), 3, 2)},
		"dropout": {A: FromSlice(make([]float32, 12), 2, 6), B: FromSlice(make([]float32, 8), 4, 2), Dropout: 1},
		"nil B":   {A: FromSlice(make([]float32, 12), 2, 6)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			LinearLoRA(x, []*Value{w}, []*LoRA{l})
		}()
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}
