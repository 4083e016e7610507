package nn

import "github.com/popi-go/popi/kernels"

// Gradient hand-off for ops whose backward passes the output gradient on
// unchanged (or scaled): reshape, add, sub. Instead of clearing the input's
// gradient and accumulating into it, a fresh input gradient is written
// directly, or takes over the output's buffer outright.

// addGrad adds s*g into x's gradient, writing (not accumulating) when the
// gradient buffer is fresh.
func addGrad(x *Value, g []float32, s float32) {
	dst, fresh := x.gradFresh()
	if !fresh {
		kernels.Axpy(s, g, dst)
		return
	}
	copy(dst, g)
	if s != 1 {
		kernels.Scale(s, dst)
	}
}

// stealGrad makes out's gradient buffer x's gradient when x is an
// intermediate value with no gradient yet, the shapes have the same size,
// and out's gradient is not retained; out's gradient is then gone (it is
// not used after out's backward). It reports whether it did.
func stealGrad(out, x *Value) bool {
	if x.Grad != nil || x.backward == nil || out.retain || out.Grad == nil || len(out.Grad) != x.Numel() {
		return false
	}
	x.Grad, out.Grad = out.Grad, nil
	return true
}
