package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seq(shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.f32 {
		t.f32[i] = float32(i)
	}
	return t
}

func TestViewsOfViews(t *testing.T) {
	x := seq(2, 3, 4) // x[i,j,k] = 12i+4j+k
	tr := x.Transpose(0, 2)
	require.Equal(t, []int{4, 3, 2}, tr.Shape())
	require.False(t, tr.IsContiguous(), "transposed view reported contiguous")
	// slice of a transpose of a transpose: [k in 1..3, i, j in 1..2]
	v := x.Transpose(1, 2).Transpose(0, 1).Slice(0, 1, 4).Slice(-1, 1, 3)
	require.Equal(t, []int{3, 2, 2}, v.Shape())
	for a := 0; a < 3; a++ {
		for b := 0; b < 2; b++ {
			for c := 0; c < 2; c++ {
				k, i, j := a+1, b, c+1
				require.Equal(t, float32(12*i+4*j+k), v.At(a, b, c), "v[%d,%d,%d]", a, b, c)
			}
		}
	}
	// F32 of a strided view is a row-major copy
	want := make([]float32, 0, 12)
	for a := 0; a < 3; a++ {
		for b := 0; b < 2; b++ {
			for c := 0; c < 2; c++ {
				want = append(want, v.At(a, b, c))
			}
		}
	}
	require.Equal(t, want, v.F32())
	v.F32()[0] = -1
	require.Equal(t, float32(5), x.At(0, 1, 1), "F32 of a strided view shares storage")
	c := v.Contiguous()
	require.True(t, c.IsContiguous())
	require.Equal(t, want, c.F32())
	c.f32[0] = 1000
	require.NotEqual(t, float32(1000), v.At(0, 0, 0), "Contiguous of a non-contiguous view shares storage")
	// reshape of a non-contiguous view copies; of a contiguous one is a view
	r := v.Reshape(-1)
	require.Equal(t, want, r.F32())
	r2 := x.Reshape(6, 4)
	r2.f32[5*4+3] = 77
	require.Equal(t, float32(77), x.At(1, 2, 3), "reshape of contiguous tensor is not a view")
	// a contiguous slice keeps sharing its window
	s := x.Slice(0, 1, 2)
	require.True(t, s.IsContiguous())
	s.F32()[0] = -5
	require.Equal(t, float32(-5), x.At(1, 0, 0))
	assert.Equal(t, "[9 10 21 22]", fmt.Sprint(x.Slice(2, 1, 3).Slice(1, 2, 3).Reshape(4).F32()), "slice of slice")
	// size-1 dimensions may have any stride
	assert.True(t, x.Slice(1, 1, 2).Transpose(1, 2).Slice(1, 0, 4).Reshape(2, 1, 4).IsContiguous())
	assert.True(t, x.Slice(0, 0, 1).Transpose(0, 1).Slice(0, 0, 1).IsContiguous())
}

func mustPanic(t *testing.T, want []string, fn func()) {
	t.Helper()
	defer func() {
		r := recover()
		require.NotNil(t, r, "no panic, want one mentioning %v", want)
		msg := fmt.Sprint(r)
		for _, w := range want {
			require.True(t, strings.Contains(msg, w), "panic %q does not mention %q", msg, w)
		}
	}()
	fn()
}

func TestShapeErrors(t *testing.T) {
	mustPanic(t, []string{"[2 3]", "[4 2]"}, func() { Zeros(2, 3).Reshape(4, 2) })
	mustPanic(t, []string{"[2 3]", "[-1 -1]"}, func() { Zeros(2, 3).Reshape(-1, -1) })
	mustPanic(t, []string{"[2 3]"}, func() { Zeros(2, 3).Slice(1, 2, 4) })
	mustPanic(t, []string{"[2 3]"}, func() { Zeros(2, 3).Slice(0, 2, 1) })
	mustPanic(t, []string{"[2 3]"}, func() { Zeros(2, 3).Transpose(0, 2) })
	mustPanic(t, []string{"[2 3]", "[3 2]"}, func() { Zeros(2, 3).AddFrom(Zeros(3, 2)) })
	mustPanic(t, []string{"BF16"}, func() { Zeros(2).To(BF16).AddFrom(Zeros(2)) })
	mustPanic(t, []string{"F32"}, func() { Zeros(2).U16() })
	mustPanic(t, []string{"[2 -1]"}, func() { Zeros(2, -1) })
	mustPanic(t, []string{"5 values", "[2 3]"}, func() { FromF32(make([]float32, 5), 2, 3) })
	mustPanic(t, []string{"F32"}, func() { FromU16(F32, make([]uint16, 2), 2) })
	mustPanic(t, []string{"Q8_0"}, func() { Zeros(32).To(Q8_0) })
	_, ok := BroadcastShapes([]int{2}, []int{3})
	assert.False(t, ok)
}

func TestBroadcastShapes(t *testing.T) {
	for _, c := range []struct{ a, b, want []int }{
		{[]int{2, 3}, []int{3}, []int{2, 3}},
		{[]int{2, 1, 4}, []int{3, 1}, []int{2, 3, 4}},
		{[]int{}, []int{5}, []int{5}},
		{[]int{1}, []int{}, []int{1}},
		{[]int{0, 1}, []int{1, 7}, []int{0, 7}},
	} {
		got, ok := BroadcastShapes(c.a, c.b)
		require.True(t, ok, "%v %v", c.a, c.b)
		assert.Equal(t, c.want, got, "%v %v", c.a, c.b)
	}
}

func TestConversions(t *testing.T) {
	x := FromF32([]float32{1, -2.5, 3.140625, 65504, 1e-8, float32(math.Inf(1))}, 2, 3)
	b := x.To(BF16)
	require.Equal(t, BF16, b.DType())
	assert.Equal(t, float32(3.140625), b.At(0, 2))
	assert.Equal(t, float32(-2.5), b.At(0, 1))
	h := x.To(F16)
	assert.Equal(t, float32(65504), h.At(1, 0))
	assert.True(t, math.IsInf(float64(h.At(1, 2)), 1))
	assert.Equal(t, float32(0), h.At(1, 1))
	assert.Same(t, h, h.To(F16), "To the same dtype returns t")
	// bf16 -> f16 through f32; transposed source
	hb := b.Transpose(0, 1).To(F16)
	require.Equal(t, []int{3, 2}, hb.Shape())
	assert.Equal(t, float32(3.140625), hb.At(2, 0))
	// rounding to nearest even for bf16: 1 + 2^-8 is a tie -> 1
	assert.Equal(t, float32(1), FromF32([]float32{1 + 1.0/256}).To(BF16).At())
	// U16 of a contiguous half tensor is its storage; of a view, a copy
	u := b.U16()
	u[0] = 0x4000 // 2.0
	assert.Equal(t, float32(2), b.At(0, 0))
	assert.Equal(t, []uint16{b.u16[0], b.u16[3], b.u16[1], b.u16[4], b.u16[2], b.u16[5]}, b.Transpose(0, 1).U16())
	assert.Equal(t, b.Transpose(0, 1).To(F32).F32(), b.Transpose(0, 1).F32())
}

func TestAddFrom(t *testing.T) {
	// contiguous destination, transposed half source
	dst := seq(2, 3)
	src := FromF32([]float32{1, 2, 3, 4, 5, 6}, 3, 2).To(BF16).Transpose(0, 1) // [[1 3 5] [2 4 6]]
	dst.AddFrom(src)
	assert.Equal(t, []float32{1, 4, 7, 5, 8, 11}, dst.f32)
	// strided destination (a slice of a gradient), contiguous source
	g := Zeros(2, 4)
	g.Slice(1, 1, 3).AddFrom(FromF32([]float32{1, 2, 3, 4}, 2, 2))
	assert.Equal(t, []float32{0, 1, 2, 0, 0, 3, 4, 0}, g.f32)
	g.Transpose(0, 1).AddFrom(seq(4, 2))
	assert.Equal(t, []float32{0, 3, 6, 6, 1, 6, 9, 7}, g.f32)
}

func TestClone(t *testing.T) {
	for _, dt := range []DType{F32, BF16, F16} {
		x := seq(3, 4).To(dt)
		v := x.Transpose(0, 1).Slice(0, 1, 3)
		c := v.Clone()
		require.Equal(t, dt, c.DType())
		require.Equal(t, []int{2, 3}, c.Shape())
		require.True(t, c.IsContiguous())
		assert.Equal(t, []float32{1, 5, 9, 2, 6, 10}, c.To(F32).f32, dt.String())
		cc := x.Clone()
		assert.Equal(t, x.To(F32).f32, cc.To(F32).f32)
		if dt == F32 {
			cc.f32[0] = 99
			assert.Equal(t, float32(0), x.f32[0], "Clone shares storage")
		}
	}
}

func TestRandomDeterministic(t *testing.T) {
	a, b := RandN(42, 2, 1000), RandN(42, 2, 1000)
	c := RandN(43, 2, 1000)
	require.Equal(t, a.F32(), b.F32(), "same seed, different values")
	require.NotEqual(t, a.F32()[:5], c.F32()[:5], "different seeds, same values")
	var mean, sq float64
	for _, v := range a.F32() {
		mean += float64(v)
		sq += float64(v) * float64(v)
	}
	mean /= 1000
	std := math.Sqrt(sq/1000 - mean*mean)
	assert.InDelta(t, 0, mean, 0.2, "RandN mean")
	assert.InDelta(t, 2, std, 0.2, "RandN std")
	assert.Equal(t, []float32{1.5, 1.5, 1.5}, Full(1.5, 3).F32())
}

func TestAtErrors(t *testing.T) {
	mustPanic(t, []string{"1 indices", "[2 3]"}, func() { Zeros(2, 3).At(1) })
	mustPanic(t, []string{"[1 3]", "[2 3]"}, func() { Zeros(2, 3).At(1, 3) })
	mustPanic(t, []string{"[-1 0]", "[2 3]"}, func() { Zeros(2, 3).At(-1, 0) })
	assert.Equal(t, float32(7), FromF32([]float32{7}).At())
}
