package tensor

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// DType is the element type of a tensor's storage.
type DType uint8

const (
	F32  DType = iota // IEEE float32
	BF16              // bfloat16 stored as uint16
	F16               // IEEE binary16 stored as uint16
)

// String returns the conventional name ("F32", "BF16", "F16").
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case BF16:
		return "BF16"
	case F16:
		return "F16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size is the number of bytes of one element.
func (d DType) Size() int {
	if d == F32 {
		return 4
	}
	return 2
}

// IsHalf reports whether d is a 16-bit format.
func (d DType) IsHalf() bool { return d == BF16 || d == F16 }

// Half returns the kernels half kind of a 16-bit dtype; it panics for F32.
func (d DType) Half() kernels.Half {
	switch d {
	case BF16:
		return kernels.BF16
	case F16:
		return kernels.F16
	}
	panic("tensor: " + d.String() + " is not a 16-bit dtype")
}
