package llama

import (
	"encoding/binary"
	"github.com/popi-go/popi/kernels"
	"math"

	"github.com/popi-go/popi/tensor"
)

// bf16ToF32 widens a bfloat16 bit pattern exactly.
func bf16ToF32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// f16ToF32 widens an IEEE half-precision bit pattern exactly (subnormals, inf, NaN included).
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf / NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// subnormal: normalise
	e := uint32(113)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	mant &= 0x3ff
	return math.Float32frombits(sign | e<<23 | mant<<13)
}

// decodeF32 converts little-endian bytes of the given dtype to float32.
// len(raw) must be n*elemSize (Q8_0: n/32*34); callers validate.
func decodeF32(dt tensor.DType, raw []byte, n int) []float32 {
	out := make([]float32, n)
	switch dt {
	case tensor.F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case tensor.BF16:
		for i := range out {
			out[i] = bf16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case tensor.F16:
		for i := range out {
			out[i] = f16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case tensor.Q8_0, tensor.Q4_0, tensor.Q4_K, tensor.Q6_K:
		kernels.DequantizeRow(dt.Quant(), out, raw)
	}
	return out
}
