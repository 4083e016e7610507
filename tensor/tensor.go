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
	shape   Shape
	strides []int
	offset  int
	f32     []float32
	u16     []uint16
}

// New allocates a zero tensor of the given dtype and shape.
func New(dt DType, shape ...int) *Tensor {
	s := Shape(shape).Clone()
	checkShape(s)
	t := &Tensor{dtype: dt, shape: s, strides: ContiguousStrides(s)}
	if dt == F32 {
		t.f32 = make([]float32, s.Numel())
	} else {
		dt.Half() // validates
		t.u16 = make([]uint16, s.Numel())
	}
	return t
}

// Zeros allocates a zero F32 tensor.
func Zeros(shape ...int) *Tensor { return New(F32, shape...) }

// FromF32 wraps data (not copied) as a contiguous F32 tensor of the given
// shape; len(data) must equal the shape's element count.
func FromF32(data []float32, shape ...int) *Tensor {
	s := Shape(shape).Clone()
	checkShape(s)
	if len(data) != s.Numel() {
		panic(fmt.Sprintf("tensor: FromF32 with %d values for shape %v (%d elements)", len(data), s, s.Numel()))
	}
	return &Tensor{dtype: F32, shape: s, strides: ContiguousStrides(s), f32: data}
}

// FromU16 wraps 16-bit data (not copied) as a contiguous BF16 or F16 tensor.
func FromU16(dt DType, data []uint16, shape ...int) *Tensor {
	dt.Half()
	s := Shape(shape).Clone()
	checkShape(s)
	if len(data) != s.Numel() {
		panic(fmt.Sprintf("tensor: FromU16 with %d values for shape %v (%d elements)", len(data), s, s.Numel()))
	}
	return &Tensor{dtype: dt, shape: s, strides: ContiguousStrides(s), u16: data}
}

// Scalar returns a 0-dimensional F32 tensor holding v.
func Scalar(v float32) *Tensor { return FromF32([]float32{v}) }

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns the dimensions (do not modify).
func (t *Tensor) Shape() Shape { return t.shape }

// Strides returns the element strides of each dimension (do not modify).
func (t *Tensor) Strides() []int { return t.strides }

// Offset returns the index of element [0,...,0] in the storage.
func (t *Tensor) Offset() int { return t.offset }

// Dims is the number of dimensions.
func (t *Tensor) Dims() int { return len(t.shape) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.shape[t.axis(i)] }

// Numel is the number of elements.
func (t *Tensor) Numel() int { return t.shape.Numel() }

// Storage returns the whole shared storage slices (one of them is nil).
func (t *Tensor) Storage() ([]float32, []uint16) { return t.f32, t.u16 }

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

// index returns the storage index of the element at idx.
func (t *Tensor) index(idx []int) int {
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
	return p
}

// At returns the element at idx widened to float32.
func (t *Tensor) At(idx ...int) float32 {
	p := t.index(idx)
	switch t.dtype {
	case F32:
		return t.f32[p]
	case BF16:
		return math.Float32frombits(uint32(t.u16[p]) << 16)
	default:
		return kernels.F16ToF32One(t.u16[p])
	}
}

// Set stores v (rounded to the dtype) at idx.
func (t *Tensor) Set(v float32, idx ...int) {
	p := t.index(idx)
	switch t.dtype {
	case F32:
		t.f32[p] = v
	case BF16:
		t.u16[p] = kernels.BF16FromF32(v)
	default:
		t.u16[p] = kernels.F16FromF32(v)
	}
}

// String summarises the tensor (dtype and shape).
func (t *Tensor) String() string {
	return fmt.Sprintf("Tensor(%v, %v)", t.dtype, t.shape)
}
