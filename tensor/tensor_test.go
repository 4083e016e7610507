package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func seq(shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.f32 {
		t.f32[i] = float32(i)
	}
	return t
}

// naiveAt indexes t through its strides directly.
func TestViewsOfViews(t *testing.T) {
	x := seq(2, 3, 4) // x[i,j,k] = 12i+4j+k
	p := x.Permute(2, 0, 1)
	if !p.Shape().Equal(Shape{4, 2, 3}) {
		t.Fatalf("permute shape %v", p.Shape())
	}
	if p.IsContiguous() {
		t.Fatal("permuted view reported contiguous")
	}
	// narrow of a transpose of a permute
	v := p.Transpose(0, 2).Narrow(0, 1, 2).Narrow(2, 1, 3) // shape [2,2,3] over (j in 1..2, i, k in 1..3)
	if !v.Shape().Equal(Shape{2, 2, 3}) {
		t.Fatalf("shape %v", v.Shape())
	}
	for a := 0; a < 2; a++ {
		for b := 0; b < 2; b++ {
			for c := 0; c < 3; c++ {
				j, i, k := a+1, b, c+1
				if got, want := v.At(a, b, c), float32(12*i+4*j+k); got != want {
					t.Fatalf("v[%d,%d,%d] = %v want %v", a, b, c, got, want)
				}
			}
		}
	}
	// writes through a view are visible in the base
	v.Set(-1, 0, 1, 2) // j=1, i=1, k=3
	if x.At(1, 1, 3) != -1 {
		t.Fatal("write through view not visible in base")
	}
	c := v.Contiguous()
	if !c.IsContiguous() || c.At(0, 1, 2) != -1 || c.At(1, 0, 0) != 4*2+1 {
		t.Fatalf("contiguous copy wrong: %v", c.F32())
	}
	c.Set(1000, 0, 0, 0)
	if v.At(0, 0, 0) == 1000 {
		t.Fatal("Contiguous of a non-contiguous view shares storage")
	}
	// reshape of a non-contiguous view copies; of a contiguous one is a view
	r := v.Reshape(-1)
	if r.Numel() != 12 || r.At(5) != -1 {
		t.Fatalf("reshape of view: %v", r.F32())
	}
	r2 := x.Reshape(6, 4)
	r2.Set(77, 5, 3)
	if x.At(1, 2, 3) != 77 {
		t.Fatal("reshape of contiguous tensor is not a view")
	}
	s := x.Select(1, 2) // [2,4]: x[i,2,k]
	if !s.Shape().Equal(Shape{2, 4}) || s.At(1, 0) != 12+8 {
		t.Fatalf("select: %v %v", s.Shape(), s.F32())
	}
	u := s.Unsqueeze(1)
	if !u.Shape().Equal(Shape{2, 1, 4}) || u.At(1, 0, 2) != 12+8+2 {
		t.Fatalf("unsqueeze: %v", u.Shape())
	}
	if got := x.Slice(2, 1, 3).Slice(1, 2, 3).Reshape(4).F32(); fmt.Sprint(got) != "[9 10 21 22]" {
		t.Fatalf("slice of slice: %v", got)
	}
}

func mustPanic(t *testing.T, want []string, fn func()) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %v", want)
		}
		msg := fmt.Sprint(r)
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Fatalf("panic %q does not mention %q", msg, w)
			}
		}
	}()
	fn()
}

func TestShapeErrors(t *testing.T) {
	mustPanic(t, []string{"[2 3]", "[4 5]"}, func() { MatMul(Zeros(2, 3), Zeros(4, 5)) })
	mustPanic(t, []string{"[2 3 4]", "[5 4 2]"}, func() { MatMul(Zeros(2, 3, 4), Zeros(5, 4, 2)) })
	mustPanic(t, []string{"[2 3]", "[4 2]"}, func() { Zeros(2, 3).Reshape(4, 2) })
	mustPanic(t, []string{"[2 3]"}, func() { Zeros(2, 3).Narrow(1, 2, 2) })
	mustPanic(t, []string{"[2 3]", "[3 2]"}, func() { Zeros(2, 3).CopyFrom(Zeros(3, 2)) })
	mustPanic(t, []string{"[2]", "[3]"}, func() { BroadcastShapes(Shape{2}, Shape{3}) })
	mustPanic(t, []string{"non-contiguous"}, func() { Zeros(2, 3).T().View(6) })
}

func naiveMatMul(a, b *Tensor) *Tensor {
	// batched with broadcasting via At
	batch := BroadcastShapes(a.shape[:a.Dims()-2], b.shape[:b.Dims()-2])
	m, k, n := a.Dim(-2), a.Dim(-1), b.Dim(-1)
	out := Zeros(append(batch.Clone(), m, n)...)
	nb := batch.Numel()
	idx := make([]int, len(batch))
	pick := func(t *Tensor, bi []int, r, c int) float32 {
		nd := t.Dims() - 2
		ix := make([]int, 0, t.Dims())
		for d := 0; d < nd; d++ {
			v := bi[len(bi)-nd+d]
			if t.shape[d] == 1 {
				v = 0
			}
			ix = append(ix, v)
		}
		return t.At(append(ix, r, c)...)
	}
	for bi := 0; bi < nb; bi++ {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					s += float64(pick(a, idx, i, p)) * float64(pick(b, idx, p, j))
				}
				out.f32[(bi*m+i)*n+j] = float32(s)
			}
		}
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < batch[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

func closeAll(t *testing.T, name string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: [%d] = %v, want %v", name, i, got[i], want[i])
		}
	}
}

func TestMatMulLayouts(t *testing.T) {
	a := RandN(1, 1, 5, 7)
	b := RandN(2, 1, 7, 3)
	at := RandN(3, 1, 7, 5).T() // transposed view [5,7]
	bt := RandN(4, 1, 3, 7).T() // [7,3]
	for _, c := range []struct {
		name string
		a, b *Tensor
	}{
		{"NN", a, b}, {"TN", at, b}, {"NT", a, bt}, {"TT", at, bt},
		{"narrowed", RandN(5, 1, 9, 11).Narrow(0, 2, 5).Narrow(1, 3, 7), RandN(6, 1, 8, 4).Narrow(0, 1, 7).Narrow(1, 1, 3)},
		{"permuted-copy", RandN(7, 1, 5, 2, 7).Permute(1, 0, 2).Select(0, 1), b},
		{"batched", RandN(8, 1, 2, 3, 5, 7), RandN(9, 1, 3, 7, 4)},
		{"batched-bcast", RandN(10, 1, 2, 1, 5, 7), RandN(11, 1, 3, 7, 4)},
		{"batched-shared-b", RandN(12, 1, 4, 5, 7), b},
		{"batched-transposed", RandN(13, 1, 4, 7, 5).Transpose(1, 2), RandN(14, 1, 4, 3, 7).Transpose(-1, -2)},
		{"vector-row", RandN(15, 1, 1, 7), b},
		{"vector-col", a, RandN(16, 1, 7, 1)},
	} {
		got := MatMul(c.a, c.b)
		want := naiveMatMul(c.a, c.b)
		if !got.Shape().Equal(want.Shape()) {
			t.Fatalf("%s: shape %v want %v", c.name, got.Shape(), want.Shape())
		}
		closeAll(t, c.name, got.F32(), want.F32(), 1e-5)
	}
}

func TestMatMulHalf(t *testing.T) {
	a := RandN(1, 1, 4, 6)
	for _, dt := range []DType{BF16, F16} {
		w := RandN(2, 1, 5, 6).To(dt) // [out,in], used transposed
		got := MatMul(a, w.T())
		want := naiveMatMul(a, w.To(F32).T())
		closeAll(t, "half "+dt.String(), got.F32(), want.F32(), 1e-5)
		got = MatMul(a.T().Contiguous().T(), w.T().Contiguous())
		closeAll(t, "half contiguous "+dt.String(), got.F32(), want.F32(), 1e-5)
	}
}

func TestConversions(t *testing.T) {
	x := FromF32([]float32{1, -2.5, 3.140625, 65504, 1e-8, float32(math.Inf(1))}, 2, 3)
	b := x.To(BF16)
	if b.DType() != BF16 || b.At(0, 2) != 3.140625 || b.At(0, 1) != -2.5 {
		t.Fatalf("bf16: %v", b.To(F32).F32())
	}
	h := x.To(F16)
	if h.At(1, 0) != 65504 || !math.IsInf(float64(h.At(1, 2)), 1) || h.At(1, 1) != 0 {
		t.Fatalf("f16: %v", h.To(F32).F32())
	}
	// bf16 -> f16 through f32; transposed source
	hb := b.T().To(F16)
	if !hb.Shape().Equal(Shape{3, 2}) || hb.At(2, 0) != 3.140625 {
		t.Fatalf("bf16->f16 of transposed: %v", hb.To(F32).F32())
	}
	// rounding to nearest even for bf16: 1 + 2^-8 is a tie -> 1
	if v := Scalar(1 + 1.0/256).To(BF16).At(); v != 1 {
		t.Fatalf("bf16 tie rounding gave %v", v)
	}
	y := Zeros(3, 2)
	y.T().CopyFrom(x)
	if y.At(2, 0) != 3.140625 || y.At(0, 1) != 65504 {
		t.Fatalf("CopyFrom into transposed view: %v", y.F32())
	}
}

func TestRandomDeterministic(t *testing.T) {
	a, b := RandN(42, 2, 1000), RandN(42, 2, 1000)
	c := RandN(43, 2, 1000)
	var mean, sq float64
	for i, v := range a.F32() {
		if v != b.f32[i] {
			t.Fatal("same seed, different values")
		}
		mean += float64(v)
		sq += float64(v) * float64(v)
	}
	if fmt.Sprint(a.F32()[:5]) == fmt.Sprint(c.F32()[:5]) {
		t.Fatal("different seeds, same values")
	}
	mean /= 1000
	std := math.Sqrt(sq/1000 - mean*mean)
	if math.Abs(mean) > 0.2 || math.Abs(std-2) > 0.2 {
		t.Fatalf("RandN mean %v std %v", mean, std)
	}
	u := RandUniform(7, -3, 5, 2000)
	lo, hi := float32(10), float32(-10)
	for _, v := range u.F32() {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo < -3 || hi > 5 || lo > -2.9 || hi < 4.9 {
		t.Fatalf("uniform range [%v, %v]", lo, hi)
	}
}

// TestMatMulViewsDoNotCopy checks that transposed and narrowed 2-D views
// reach the kernels without a copy, and that a layout the kernels cannot
// take (no unit stride) is copied.
func TestMatMulViewsDoNotCopy(t *testing.T) {
	a := RandN(1, 1, 30, 40).Narrow(1, 10, 25) // rows with a leading dim of 40
	w := RandN(2, 1, 51, 25).T()               // [25, 51] transposed view
	before := operandCopies.Load()
	c := MatMul(a, w)
	c2 := MatMul(RandN(3, 1, 3, 25, 30).Transpose(1, 2), w.T().T()) // batched transposed a
	if n := operandCopies.Load() - before; n != 0 {
		t.Fatalf("%d operands copied for plain/transposed views", n)
	}
	closeAll(t, "views", c.F32(), naiveMatMul(a, w).F32(), 1e-5)
	closeAll(t, "batched views", c2.F32(), naiveMatMul(RandN(3, 1, 3, 25, 30).Transpose(1, 2), w).F32(), 1e-5)
	every2 := RandN(5, 1, 25, 2, 7).Select(1, 0) // [25, 7], row stride 14: plain with ld 14
	MatMul(a, every2)
	if n := operandCopies.Load() - before; n != 0 {
		t.Fatalf("row-strided view copied")
	}
	noUnit := RandN(6, 1, 25, 7, 2).Select(2, 1) // [25, 7] with column stride 2: must copy
	got := MatMul(a, noUnit)
	if n := operandCopies.Load() - before; n != 1 {
		t.Fatalf("non-unit-stride view: %d copies, want 1", n)
	}
	closeAll(t, "copied view", got.F32(), naiveMatMul(a, noUnit).F32(), 1e-5)
}
