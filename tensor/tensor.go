package tensor

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/kernels"
)

// Tensor is a strided view of shared storage. Exactly one of the storage
// slices is in use: f32 for F32, u16 for BF16 and F16. Copying a Tensor value
// copies the view, not the data.
type Tensor struct {
	dtype   DType
	shape   []int
	strides []int
	offset  int
	f32     []float32
	u16     []uint16
}

// newTensor allocates a zero tensor of the given dtype (F32, BF16 or F16)
// and shape.
func newTensor(dt DType, shape ...int) *Tensor {
	s := checkShape(shape)
	t := &Tensor{dtype: dt, shape: s, strides: contiguousStrides(s)}
	switch {
	case dt == F32:
		t.f32 = make([]float32, numel(s))
	case dt.IsHalf():
		t.u16 = make([]uint16, numel(s))
	default:
		panic("tensor: a tensor cannot hold " + dt.String() + " values")
	}
	return t
}

// Zeros allocates a zero F32 tensor.
func Zeros(shape ...int) *Tensor { return newTensor(F32, shape...) }

// FromF32 wraps data (not copied) as a contiguous F32 tensor of the given
// shape; len(data) must equal the shape's element count.
func FromF32(data []float32, shape ...int) *Tensor {
	s := checkShape(shape)
	if len(data) != numel(s) {
		panic(fmt.Sprintf("tensor: FromF32 with %d values for shape %v (%d elements)", len(data), s, numel(s)))
	}
	return &Tensor{dtype: F32, shape: s, strides: contiguousStrides(s), f32: data}
}

// FromU16 wraps 16-bit data (not copied) as a contiguous BF16 or F16 tensor.
func FromU16(dt DType, data []uint16, shape ...int) *Tensor {
	if !dt.IsHalf() {
		panic("tensor: FromU16 of " + dt.String() + " values")
	}
	s := checkShape(shape)
	if len(data) != numel(s) {
		panic(fmt.Sprintf("tensor: FromU16 with %d values for shape %v (%d elements)", len(data), s, numel(s)))
	}
	return &Tensor{dtype: dt, shape: s, strides: contiguousStrides(s), u16: data}
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns the dimensions (do not modify).
func (t *Tensor) Shape() []int { return t.shape }

func (t *Tensor) numel() int { return numel(t.shape) }

func (t *Tensor) axis(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	if i < 0 || i >= len(t.shape) {
		panic(fmt.Sprintf("tensor: axis %d out of range for shape %v", i, t.shape))
	}
	return i
}

// IsContiguous reports whether the elements are laid out densely in
// row-major order (size-1 dimensions may have any stride).
func (t *Tensor) IsContiguous() bool {
	acc := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] == 1 {
			continue
		}
		if t.strides[i] != acc {
			return false
		}
		acc *= t.shape[i]
	}
	return true
}

// At returns the element at idx widened to float32.
func (t *Tensor) At(idx ...int) float32 {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor: %d indices for shape %v", len(idx), t.shape))
	}
	p := t.offset
	for i, v := range idx {
		if v < 0 || v >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.shape))
		}
		p += v * t.strides[i]
	}
	switch t.dtype {
	case F32:
		return t.f32[p]
	case BF16:
		return math.Float32frombits(uint32(t.u16[p]) << 16)
	default:
		return kernels.F16ToF32One(t.u16[p])
	}
}
