package tensor

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/popi-go/popi/kernels"
)

func TestDTypeLayout(t *testing.T) {
	for _, c := range []struct {
		dt          DType
		name        string
		block, size int
		half        bool
	}{
		{F32, "F32", 1, 4, false},
		{BF16, "BF16", 1, 2, true},
		{F16, "F16", 1, 2, true},
		{Q8_0, "Q8_0", 32, 34, false},
		{Q4_0, "Q4_0", 32, 18, false},
		{Q4_K, "Q4_K", 256, 144, false},
		{Q6_K, "Q6_K", 256, 210, false},
		{Q8_K, "Q8_K", 256, 292, false},
	} {
		assert.Equal(t, c.name, c.dt.String())
		assert.Equal(t, c.block, c.dt.BlockSize(), c.name)
		assert.Equal(t, c.size, c.dt.BlockBytes(), c.name)
		assert.Equal(t, c.half, c.dt.IsHalf(), c.name)
		assert.Equal(t, int64(3*c.size), c.dt.Bytes(int64(3*c.block)), c.name)
		assert.Equal(t, int64(0), c.dt.Bytes(0), c.name)
	}
	assert.Equal(t, int64(-1), Q8_0.Bytes(33), "partial block")
	unknown := DType(200)
	assert.Equal(t, "DType(200)", unknown.String())
	assert.Equal(t, 0, unknown.BlockSize())
	assert.Equal(t, int64(-1), unknown.Bytes(4))
	assert.False(t, unknown.IsHalf())
}

// TestDTypeQuant: the block dtypes map to the kernels' formats of the same
// block layout, and nothing else does.
func TestDTypeQuant(t *testing.T) {
	for _, dt := range []DType{Q8_0, Q4_0, Q4_K, Q6_K, Q8_K} {
		require.True(t, dt.IsQuant(), dt.String())
		q := dt.Quant()
		assert.Equal(t, dt.String(), q.String())
		assert.Equal(t, dt.BlockSize(), q.BlockSize(), dt.String())
		assert.Equal(t, dt.BlockBytes(), q.BlockBytes(), dt.String())
	}
	for _, dt := range []DType{F32, BF16, F16, DType(200)} {
		assert.False(t, dt.IsQuant(), dt.String())
		mustPanic(t, []string{dt.String()}, func() { dt.Quant() })
	}
}

func TestDTypeHalf(t *testing.T) {
	assert.Equal(t, kernels.BF16, BF16.Half())
	assert.Equal(t, kernels.F16, F16.Half())
	for _, dt := range []DType{F32, Q8_0, DType(9)} {
		mustPanic(t, []string{dt.String()}, func() { dt.Half() })
		mustPanic(t, []string{dt.String()}, func() { dt.ToF32(make([]float32, 1), make([]uint16, 1)) })
		mustPanic(t, []string{dt.String()}, func() { dt.FromF32(make([]uint16, 1), make([]float32, 1)) })
	}
}

// TestDTypeConvert checks the slice conversions against the scalar
// reference conversions, on values that round, overflow and underflow.
func TestDTypeConvert(t *testing.T) {
	src := []float32{0, 1, -2.5, 1 + 1.0/256, 1 + 3.0/512, 65504, 65520, 1e-8, 6e-8, 3.4e38,
		float32(math.Inf(-1)), float32(math.NaN()), float32(math.Copysign(0, -1))}
	for _, c := range []struct {
		dt     DType
		narrow func(float32) uint16
		widen  func(uint16) float32
	}{
		{BF16, kernels.BF16FromF32, func(u uint16) float32 { return math.Float32frombits(uint32(u) << 16) }},
		{F16, kernels.F16FromF32, kernels.F16ToF32One},
	} {
		u := make([]uint16, len(src))
		c.dt.FromF32(u, src)
		back := make([]float32, len(src))
		c.dt.ToF32(back, u)
		for i, v := range src {
			require.Equal(t, c.narrow(v), u[i], "%v FromF32(%v)", c.dt, v)
			require.Equal(t, math.Float32bits(c.widen(u[i])), math.Float32bits(back[i]), "%v ToF32(%#04x)", c.dt, u[i])
		}
		// only len(dst) values are converted
		short := make([]uint16, 2)
		c.dt.FromF32(short, src)
		assert.Equal(t, u[:2], short)
	}
}
