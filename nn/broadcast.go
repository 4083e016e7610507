package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
	"github.com/popi-go/popi/tensor"
)

// binKind selects a broadcasting binary op.
type binKind uint8

const (
	binAdd binKind = iota
	binSub
	binMul
	binDiv
	binMin
	binMax
)

var binNames = [...]string{"add", "sub", "mul", "div", "minimum", "maximum"}

// Add returns a + b with NumPy broadcasting.
func Add(a, b *Value) *Value { return binaryOp(binAdd, a, b) }

// Sub returns a - b with broadcasting.
func Sub(a, b *Value) *Value { return binaryOp(binSub, a, b) }

// Mul returns a * b (elementwise) with broadcasting.
func Mul(a, b *Value) *Value { return binaryOp(binMul, a, b) }

// Div returns a / b with broadcasting.
func Div(a, b *Value) *Value { return binaryOp(binDiv, a, b) }

// Minimum returns the elementwise minimum with broadcasting; the gradient goes
// to the smaller input (to a on ties).
func Minimum(a, b *Value) *Value { return binaryOp(binMin, a, b) }

// Maximum returns the elementwise maximum with broadcasting; the gradient goes
// to the larger input (to a on ties).
func Maximum(a, b *Value) *Value { return binaryOp(binMax, a, b) }

// bcastPlan maps every output element to its a and b elements. When ia/ib
// is nil the operand is indexed by i (same shape) or i % len (repeated
// suffix).
type bcastPlan struct {
	n        int
	ia, ib   []int32
	na, nb   int // operand element counts
	repA     bool
	repB     bool
	outShape []int
}

func (p *bcastPlan) idxA(i int) int {
	switch {
	case p.ia != nil:
		return int(p.ia[i])
	case p.repA:
		return i % p.na
	}
	return i
}

func (p *bcastPlan) idxB(i int) int {
	switch {
	case p.ib != nil:
		return int(p.ib[i])
	case p.repB:
		return i % p.nb
	}
	return i
}

// isSuffix reports whether small, with leading 1s dropped, equals the tail
// of big.
func isSuffix(small, big []int) bool {
	for len(small) > 0 && small[0] == 1 {
		small = small[1:]
	}
	if len(small) > len(big) {
		return false
	}
	return equalShape(small, big[len(big)-len(small):])
}

func makePlan(op string, as, bs []int) *bcastPlan {
	out, ok := broadcastShape(as, bs)
	if !ok {
		panic(fmt.Sprintf("nn: %s of shapes %v and %v that do not broadcast", op, as, bs))
	}
	p := &bcastPlan{n: numel(out), na: numel(as), nb: numel(bs), outShape: out}
	switch {
	case p.na == p.n && p.nb == p.n:
	case p.na == p.n && isSuffix(bs, out) && p.nb > 0:
		p.repB = true
	case p.nb == p.n && isSuffix(as, out) && p.na > 0:
		p.repA = true
	default:
		p.ia = broadcastIndex(as, out)
		p.ib = broadcastIndex(bs, out)
	}
	return p
}

func broadcastShape(a, b []int) ([]int, bool) {
	return tensor.BroadcastShapes(a, b)
}

// broadcastIndex returns, for every element of out in row-major order, the
// index of the element of a tensor of shape s broadcast to out.
func broadcastIndex(s, out []int) []int32 {
	nd := len(out)
	st := make([]int, nd)
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		j := nd - len(s) + i
		if s[i] != 1 {
			st[j] = acc
		}
		acc *= s[i]
	}
	n := numel(out)
	idx := make([]int32, n)
	pos := make([]int, nd)
	cur := 0
	for i := 0; i < n; i++ {
		idx[i] = int32(cur)
		for d := nd - 1; d >= 0; d-- {
			pos[d]++
			cur += st[d]
			if pos[d] < out[d] {
				break
			}
			cur -= pos[d] * st[d]
			pos[d] = 0
		}
	}
	return idx
}

func binaryOp(kind binKind, a, b *Value) *Value {
	name := binNames[kind]
	p := makePlan(name, a.Shape, b.Shape)
	out := newOutDirty(name, p.outShape) // every case below writes all of o
	ad, bd := a.F32(), b.F32()
	o := out.Data
	plain := p.ia == nil && !p.repA && !p.repB
	switch {
	case plain && kind == binAdd:
		kernels.Add(o, ad, bd)
	case plain && kind == binMul:
		kernels.Mul(o, ad, bd)
	case p.repB && (kind == binAdd || kind == binMul):
		for r := 0; r < p.n; r += p.nb {
			if kind == binAdd {
				kernels.Add(o[r:r+p.nb], ad[r:r+p.nb], bd)
			} else {
				kernels.Mul(o[r:r+p.nb], ad[r:r+p.nb], bd)
			}
		}
	default:
		for i := range o {
			x, y := ad[p.idxA(i)], bd[p.idxB(i)]
			switch kind {
			case binAdd:
				o[i] = x + y
			case binSub:
				o[i] = x - y
			case binMul:
				o[i] = x * y
			case binDiv:
				o[i] = x / y
			case binMin:
				o[i] = min(x, y)
			case binMax:
				o[i] = max(x, y)
			}
		}
	}
	if !needsGrad(a, b) {
		return finish(out, nil, a, b)
	}
	return finish(out, func() {
		g := out.Grad
		if plain && (kind == binAdd || kind == binSub) {
			if a.RequiresGrad {
				addGrad(a, g, 1)
			}
			if b.RequiresGrad {
				if kind == binAdd && a != b && stealGrad(out, b) {
					return // b's gradient is g itself
				}
				s := float32(1)
				if kind == binSub {
					s = -1
				}
				addGrad(b, g, s)
			}
			return
		}
		var ga, gb []float32
		if a.RequiresGrad {
			ga = a.grad()
		}
		if b.RequiresGrad {
			gb = b.grad()
		}
		for i, gi := range g {
			ja, jb := p.idxA(i), p.idxB(i)
			x, y := ad[ja], bd[jb]
			var da, db float32
			switch kind {
			case binAdd:
				da, db = gi, gi
			case binSub:
				da, db = gi, -gi
			case binMul:
				da, db = gi*y, gi*x
			case binDiv:
				da, db = gi/y, -gi*x/(y*y)
			case binMin:
				if x <= y {
					da = gi
				} else {
					db = gi
				}
			case binMax:
				if x >= y {
					da = gi
				} else {
					db = gi
				}
			}
			if ga != nil {
				ga[ja] += da
			}
			if gb != nil {
				gb[jb] += db
			}
		}
	}, a, b)
}
