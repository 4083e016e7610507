package tensor

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// DType is the element type of stored numbers. Float types store one
// element per block; block types (Q8_0) store BlockSize elements in
// BlockBytes bytes.
type DType uint8

const (
	F32  DType = iota // IEEE float32
	BF16              // bfloat16 (upper half of a float32), stored as uint16
	F16               // IEEE binary16, stored as uint16
	Q8_0              // GGUF Q8_0: blocks of 32 int8 with one f16 scale
	Q4_0              // GGUF Q4_0: blocks of 32 4-bit values with one f16 scale
	Q4_K              // GGUF Q4_K: super-blocks of 256 4-bit values, 6-bit scales and mins
	Q6_K              // GGUF Q6_K: super-blocks of 256 6-bit values, int8 scales
	Q8_K              // GGUF Q8_K: 256 int8 with an f32 scale and sums (dot-product activations)
)

// dtypeInfo describes each DType, indexed by its value. A new storage type
// is a new constant plus its row here; Bytes, BlockSize and BlockBytes then
// size and chunk its data everywhere.
var dtypeInfo = [...]struct {
	name                  string
	blockSize, blockBytes int
}{
	F32:  {"F32", 1, 4},
	BF16: {"BF16", 1, 2},
	F16:  {"F16", 1, 2},
	Q8_0: {"Q8_0", 32, 34},
	Q4_0: {"Q4_0", 32, 18},
	Q4_K: {"Q4_K", 256, 144},
	Q6_K: {"Q6_K", 256, 210},
	Q8_K: {"Q8_K", 256, 292},
}

func (d DType) known() bool { return int(d) < len(dtypeInfo) }

// String returns the safetensors/GGUF spelling ("F32", "BF16", "F16",
// "Q8_0").
func (d DType) String() string {
	if d.known() {
		return dtypeInfo[d].name
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// BlockSize is the number of elements one block holds: 1 for the float
// types, 32 for Q8_0. Data of a block type has a whole number of blocks
// per row. It is 0 for an unknown dtype.
func (d DType) BlockSize() int {
	if d.known() {
		return dtypeInfo[d].blockSize
	}
	return 0
}

// BlockBytes is the storage size of one block in bytes (the element size
// of the float types). It is 0 for an unknown dtype.
func (d DType) BlockBytes() int {
	if d.known() {
		return dtypeInfo[d].blockBytes
	}
	return 0
}

// Bytes is the storage size of n elements, or -1 when n is not a whole
// number of blocks or d is unknown. n*BlockBytes must not overflow.
func (d DType) Bytes(n int64) int64 {
	if !d.known() {
		return -1
	}
	bs := int64(dtypeInfo[d].blockSize)
	if n%bs != 0 {
		return -1
	}
	return n / bs * int64(dtypeInfo[d].blockBytes)
}

// IsQuant reports whether d is one of llama.cpp's quantized block formats.
func (d DType) IsQuant() bool { return d >= Q8_0 && d <= Q8_K }

// Quant returns the kernels' selector of a quantized block format (the
// same bytes as GGUF stores); it panics for any other dtype.
func (d DType) Quant() kernels.QType {
	switch d {
	case Q8_0:
		return kernels.Q8_0
	case Q4_0:
		return kernels.Q4_0
	case Q4_K:
		return kernels.Q4_K
	case Q6_K:
		return kernels.Q6_K
	case Q8_K:
		return kernels.Q8_K
	}
	panic("tensor: " + d.String() + " is not a quantized dtype")
}

// IsHalf reports whether d is a 16-bit float format (BF16 or F16).
func (d DType) IsHalf() bool { return d == BF16 || d == F16 }

// Half returns the kernels' selector for a 16-bit dtype; it panics for any
// other dtype.
func (d DType) Half() kernels.Half {
	switch d {
	case BF16:
		return kernels.BF16
	case F16:
		return kernels.F16
	}
	panic("tensor: " + d.String() + " is not a 16-bit dtype")
}

// ToF32 widens 16-bit values of dtype d exactly: dst[i] = src[i] for
// i < len(dst) (src must be at least as long). It panics unless d is BF16
// or F16.
func (d DType) ToF32(dst []float32, src []uint16) {
	switch d {
	case BF16:
		kernels.BF16ToF32(dst, src)
	case F16:
		kernels.F16ToF32(dst, src)
	default:
		panic("tensor: ToF32 of " + d.String() + " values")
	}
}

// FromF32 rounds float32 values to dtype d (nearest even): dst[i] = src[i]
// for i < len(dst) (src must be at least as long). It panics unless d is
// BF16 or F16.
func (d DType) FromF32(dst []uint16, src []float32) {
	switch d {
	case BF16:
		kernels.F32ToBF16(dst, src)
	case F16:
		kernels.F32ToF16(dst, src)
	default:
		panic("tensor: FromF32 to " + d.String() + " values")
	}
}
