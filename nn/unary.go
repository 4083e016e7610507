package nn

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/kernels"
)

// Scale returns s * x.
func Scale(x *Value, s float32) *Value {
	out := newOut("scale", x.Shape)
	copy(out.Data, x.F32())
	kernels.Scale(s, out.Data)
	return finish(out, func() { kernels.Axpy(s, out.Grad, x.grad()) }, x)
}

// Neg returns -x.
func Neg(x *Value) *Value { return Scale(x, -1) }

// AddScalar returns x + s.
func AddScalar(x *Value, s float32) *Value {
	out := newOut("add_scalar", x.Shape)
	for i, v := range x.F32() {
		out.Data[i] = v + s
	}
	return finish(out, func() { kernels.Axpy(1, out.Grad, x.grad()) }, x)
}

// Exp returns e^x elementwise.
func Exp(x *Value) *Value {
	out := newOut("exp", x.Shape)
	kernels.Exp(out.Data, x.F32())
	return finish(out, func() {
		g := x.grad()
		for i, gi := range out.Grad {
			g[i] += gi * out.Data[i]
		}
	}, x)
}

// Log returns the natural logarithm elementwise.
func Log(x *Value) *Value {
	out := newOut("log", x.Shape)
	xd := x.F32()
	for i, v := range xd {
		out.Data[i] = float32(math.Log(float64(v)))
	}
	return finish(out, func() {
		g := x.grad()
		for i, gi := range out.Grad {
			g[i] += gi / xd[i]
		}
	}, x)
}

func sigmoid64(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// Sigmoid returns 1/(1+e^-x) elementwise.
func Sigmoid(x *Value) *Value {
	out := newOut("sigmoid", x.Shape)
	for i, v := range x.F32() {
		out.Data[i] = float32(sigmoid64(float64(v)))
	}
	return finish(out, func() {
		g := x.grad()
		for i, gi := range out.Grad {
			s := out.Data[i]
			g[i] += gi * s * (1 - s)
		}
	}, x)
}

// LogSigmoid returns log(sigmoid(x)) = -softplus(-x), computed stably.
func LogSigmoid(x *Value) *Value {
	out := newOut("log_sigmoid", x.Shape)
	xd := x.F32()
	for i, v := range xd {
		f := float64(v)
		// log sigmoid(f) = min(f, 0) - log1p(exp(-|f|))
		out.Data[i] = float32(math.Min(f, 0) - math.Log1p(math.Exp(-math.Abs(f))))
	}
	return finish(out, func() {
		g := x.grad()
		for i, gi := range out.Grad {
			g[i] += gi * float32(sigmoid64(-float64(xd[i])))
		}
	}, x)
}

// Clamp limits x to [lo, hi]; the gradient passes where lo <= x <= hi.
func Clamp(x *Value, lo, hi float32) *Value {
	if lo > hi {
		panic(fmt.Sprintf("nn: Clamp with lo %v > hi %v", lo, hi))
	}
	out := newOut("clamp", x.Shape)
	xd := x.F32()
	for i, v := range xd {
		out.Data[i] = min(max(v, lo), hi)
	}
	return finish(out, func() {
		g := x.grad()
		for i, gi := range out.Grad {
			if xd[i] >= lo && xd[i] <= hi {
				g[i] += gi
			}
		}
	}, x)
}

// Where returns a where cond is true and b elsewhere (a, b and cond have
// the same number of elements; the result has a's shape).
func Where(cond []bool, a, b *Value) *Value {
	if !equalShape(a.Shape, b.Shape) || len(cond) != a.Numel() {
		panic(fmt.Sprintf("nn: Where with condition of %d values, a %v, b %v", len(cond), a.Shape, b.Shape))
	}
	out := newOut("where", a.Shape)
	ad, bd := a.F32(), b.F32()
	for i, c := range cond {
		if c {
			out.Data[i] = ad[i]
		} else {
			out.Data[i] = bd[i]
		}
	}
	return finish(out, func() {
		var ga, gb []float32
		if a.RequiresGrad {
			ga = a.grad()
		}
		if b.RequiresGrad {
			gb = b.grad()
		}
		for i, c := range cond {
			if c && ga != nil {
				ga[i] += out.Grad[i]
			} else if !c && gb != nil {
				gb[i] += out.Grad[i]
			}
		}
	}, a, b)
}

// SiLU returns x * sigmoid(x).
func SiLU(x *Value) *Value {
	out := newOut("silu", x.Shape)
	xd := x.F32()
	kernels.SiLU(out.Data, xd)
	return finish(out, func() {
		g := x.grad()
		for i, gi := range out.Grad {
			s := float32(sigmoid64(float64(xd[i])))
			g[i] += gi * s * (1 + xd[i]*(1-s))
		}
	}, x)
}
