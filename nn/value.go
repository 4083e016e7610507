package nn

import (
	"fmt"

	"github.com/popi-go/popi/tensor"
)

// Value is a node of the autograd graph: a dense row-major float32 array
// (Data, Shape), its gradient (Grad, allocated on first use), and, for values
// produced by recorded ops, the parents and the closure that propagates Grad
// to them.
//
// A Value whose data is a frozen 16-bit tensor (see Const) has Data == nil;
// ops read it through its widened copy, and Linear, MatMul (as right operand)
// and Embedding use the 16-bit storage directly.
type Value struct {
	Data         []float32
	Shape        []int
	Grad         []float32
	RequiresGrad bool
	Name         string // optional label (parameter name), used in errors

	op       string
	half     *tensor.Tensor
	q        *quantWeight // frozen quantized matrix (QuantConst); Data is nil
	parents  []*Value
	backward func()
	released bool
	retain   bool
	owned    bool // Data came from the buffer pool, and no other Value owns it
	// transient: nobody reads Data once a Backward has passed this node
	// (see Transient), so Backward returns an owned buffer to the pool.
	transient bool
	mark      uint64
	bad       string // first op whose forward output was not finite (debug mode)
	bwErr     error  // error raised inside backward (checkpoint recomputation)
}

// Param wraps t as a trainable leaf (RequiresGrad). An F32 contiguous tensor
// shares its storage with the Value (optimizer updates are visible in t);
// other tensors are copied and widened.
func Param(t *tensor.Tensor) *Value {
	v := &Value{Data: f32Of(t), Shape: append([]int(nil), t.Shape()...), RequiresGrad: true, op: "param"}
	return v
}

// NewParam wraps data (not copied) as a trainable leaf of the given shape.
func NewParam(data []float32, shape ...int) *Value {
	v := FromSlice(data, shape...)
	v.RequiresGrad, v.op = true, "param"
	return v
}

// Const wraps t as a constant leaf (no gradient). A BF16/F16 tensor stays
// 16-bit: this is how frozen half-precision weights enter Linear and
// Embedding without being widened in memory.
func Const(t *tensor.Tensor) *Value {
	if t.DType().IsHalf() {
		c := t.Contiguous()
		return &Value{Shape: append([]int(nil), t.Shape()...), half: c, op: "const"}
	}
	return &Value{Data: f32Of(t), Shape: append([]int(nil), t.Shape()...), op: "const"}
}

// FromSlice wraps data (not copied) as a constant of the given shape.
func FromSlice(data []float32, shape ...int) *Value {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("nn: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	return &Value{Data: data, Shape: append([]int(nil), shape...), op: "const"}
}

// Scalar returns a constant holding x.
func Scalar(x float32) *Value { return FromSlice([]float32{x}) }

func f32Of(t *tensor.Tensor) []float32 {
	if t.DType() == tensor.F32 && t.IsContiguous() {
		return t.F32()
	}
	return t.To(tensor.F32).Contiguous().F32()
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("nn: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// Numel is the number of elements.
func (v *Value) Numel() int { return numel(v.Shape) }

// Item returns the single element of a one-element value.
func (v *Value) Item() float32 {
	d := v.F32()
	if len(d) != 1 {
		panic(fmt.Sprintf("nn: Item of a value of shape %v", v.Shape))
	}
	return d[0]
}

// F32 returns the data as float32: Data itself, or a widened copy for a
// 16-bit or quantized constant.
func (v *Value) F32() []float32 {
	if v.half != nil {
		return v.half.F32()
	}
	if v.q != nil {
		return v.q.f32()
	}
	return v.Data
}

// Half returns the 16-bit tensor of a half-precision constant, or nil.
func (v *Value) Half() *tensor.Tensor { return v.half }

// Tensor returns the value as a tensor (sharing Data; the 16-bit tensor for
// half constants).
func (v *Value) Tensor() *tensor.Tensor {
	if v.half != nil {
		return v.half
	}
	if v.q != nil {
		return tensor.FromF32(v.q.f32(), v.Shape...)
	}
	return tensor.FromF32(v.Data, v.Shape...)
}

// GradTensor returns the gradient as a tensor of v's shape (nil if none).
func (v *Value) GradTensor() *tensor.Tensor {
	if v.Grad == nil {
		return nil
	}
	return tensor.FromF32(v.Grad, v.Shape...)
}

// Op names the operation that produced v ("param", "const", "linear", ...).
func (v *Value) Op() string { return v.op }

// IsLeaf reports whether v was not produced by a recorded op.
func (v *Value) IsLeaf() bool { return v.parents == nil && v.backward == nil && !v.released }

// Detach returns a constant sharing v's data, cut from the graph.
func (v *Value) Detach() *Value {
	return &Value{Data: v.Data, Shape: append([]int{}, v.Shape...), half: v.half, q: v.q, op: "detach", bad: v.bad}
}

// ZeroGrad sets the gradient to zero (keeping the buffer).
func (v *Value) ZeroGrad() { clear(v.Grad) }

// RetainGrad keeps the gradient of a non-leaf value after Backward (by
// default only leaves keep theirs).
func (v *Value) RetainGrad() { v.retain = true }

// grad returns the gradient buffer, allocating it zeroed on first use.
// gradFresh returns v's gradient buffer like grad, and whether it was just
// created. A fresh intermediate buffer is NOT zeroed (it comes from the
// recycling pool): the caller must overwrite every element instead of
// accumulating. It spares clearing, then re-reading, the large gradients
// (logits, MLP activations) that have a single producer.
func (v *Value) gradFresh() ([]float32, bool) {
	if v.Grad != nil {
		return v.Grad, false
	}
	if v.backward != nil {
		v.Grad = getBufDirty(v.Numel())
	} else {
		v.Grad = make([]float32, v.Numel())
	}
	return v.Grad, true
}

func (v *Value) grad() []float32 {
	if v.Grad == nil {
		if v.backward != nil {
			v.Grad = getBuf(v.Numel()) // intermediate: recycled after Backward
		} else {
			v.Grad = make([]float32, v.Numel())
		}
	}
	return v.Grad
}

func (v *Value) String() string {
	name := v.Name
	if name == "" {
		name = v.op
	}
	return fmt.Sprintf("Value(%s %v)", name, v.Shape)
}

func (v *Value) label() string {
	if v.Name != "" {
		return v.op + " " + v.Name
	}
	return v.op
}
