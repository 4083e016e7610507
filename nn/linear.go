package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// Linear returns x·Wᵀ: x is [..., in], w is [out, in] (a trainable F32 value,
// a frozen BF16/F16 constant multiplied by kernels.SgemmHalf, or a frozen
// quantized constant, see QuantConst), the result
// [..., out]. Backward: dx += dy·W, dW += dyᵀ·x.
func Linear(x, w *Value) *Value {
	if len(w.Shape) != 2 || len(x.Shape) == 0 || x.Shape[len(x.Shape)-1] != w.Shape[1] {
		panic(fmt.Sprintf("nn: Linear of x %v with weight %v (want x [..., in], weight [out, in])", x.Shape, w.Shape))
	}
	in, outF := w.Shape[1], w.Shape[0]
	m := x.Numel() / max(in, 1)
	if in == 0 {
		m = numel(x.Shape[:len(x.Shape)-1])
	}
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), outF)
	var out *Value
	if m > 0 && outF > 0 && in > 0 {
		out = newOutDirty("linear", shape) // the GEMM (beta 0) writes all of it
	} else {
		out = newOut("linear", shape)
	}
	xd := x.F32()
	if m > 0 && outF > 0 && in > 0 {
		switch {
		case w.q != nil:
			w.q.mulT(m, xd, in, 0, outF, 0, out.Data, outF)
		case w.half != nil:
			kernels.SgemmHalf(w.half.DType().Half(), false, true, m, outF, in, 1, xd, in, w.half.U16(), in, 0, out.Data, outF, false)
		default:
			kernels.Sgemm(false, true, m, outF, in, 1, xd, in, w.Data, in, 0, out.Data, outF)
		}
	}
	if !needsGrad(x, w) {
		return finish(out, nil, x, w)
	}
	return finish(out, func() {
		if m == 0 || outF == 0 || in == 0 {
			return
		}
		g := linearGrad{m: m, in: in, out: outF, dy: out.Grad, dyLd: outF, x: xd}
		g.setWeight(w)
		if w.RequiresGrad {
			g.dw = w.grad()
		}
		if x.RequiresGrad {
			g.dx, g.dxFresh = x.gradFresh()
		}
		g.run(x != w)
	}, x, w)
}

// linearGrad is the backward of y = x·Wᵀ over m rows (x [m, in], W
// [out, in], dy [m, out] with row stride dyLd): dx (+)= dy·W and
// dW += dyᵀ·x. W is f32 (w), 16-bit (wHalf of kind) or quantized (wq,
// frozen: no dw); dx or dw is nil
// when that gradient is not wanted; a fresh dx (dxFresh) is overwritten.
type linearGrad struct {
	m, in, out, dyLd int
	dy, x, w         []float32
	wHalf            []uint16
	kind             kernels.Half
	wq               *quantWeight
	dx, dw           []float32
	dxFresh          bool
}

// setWeight points the gradient at w's storage (f32, 16-bit or quantized).
func (g *linearGrad) setWeight(w *Value) {
	switch {
	case w.q != nil:
		g.wq = w.q
	case w.half != nil:
		g.wHalf, g.kind = w.half.U16(), w.half.DType().Half()
	default:
		g.w = w.Data
	}
}

// run computes the gradients; concurrent allows the task-parallel form
// (false when dx and dw are one buffer, as for x·xᵀ).
func (g *linearGrad) run(concurrent bool) {
	beta := float32(1)
	if g.dxFresh {
		beta = 0 // the GEMM writes all of a fresh (uncleared) gradient
	}
	if concurrent && g.tasks(beta) {
		return
	}
	m, in, out := g.m, g.in, g.out
	if g.dx != nil && g.wq != nil {
		g.wq.mulDx(m, 1, g.dy, g.dyLd, beta, g.dx, in)
	} else if g.dx != nil {
		if g.wHalf != nil {
			kernels.SgemmHalf(g.kind, false, false, m, in, out, 1, g.dy, g.dyLd, g.wHalf, in, beta, g.dx, in, false)
		} else {
			kernels.Sgemm(false, false, m, in, out, 1, g.dy, g.dyLd, g.w, in, beta, g.dx, in)
		}
	}
	if g.dw != nil {
		kernels.Sgemm(true, false, out, in, m, 1, g.dy, g.dyLd, g.x, in, 1, g.dw, in)
	}
}

// linearTaskFlops is the size (flops of dx plus dW) from which Linear's
// backward runs its two GEMMs as concurrent single-threaded tasks.
const linearTaskFlops = 64 << 20

// tasks computes dx and dW (f32 W, both wanted) as concurrent
// single-threaded GEMM tasks that the cores claim as they become free
// (kernels.ParallelTasks): dW whole or, when it has at least
// 2*linearSplitRows rows, in two halves (each dW part packs all of x, so
// parts stay tall), first; then dx in row parts, two, or four when each
// keeps linearDxRows rows (a dx part packs only W), so the core that
// finishes its dW part first takes more of dx. The two GEMMs have equal
// flops, so the cores stay busy without the barriers and shared packing
// of two-core GEMMs. It reports false, doing nothing, when the case does
// not apply.
func (g *linearGrad) tasks(beta float32) bool {
	m, in, outF, ld := g.m, g.in, g.out, g.dyLd
	if g.dx == nil || g.dw == nil || g.wHalf != nil || g.wq != nil || kernels.Workers() < 2 ||
		4*float64(m)*float64(in)*float64(outF) < linearTaskFlops {
		return false
	}
	mh := (m / 2) &^ 7 // row splits on micro-tile boundaries
	if mh == 0 {
		return false
	}
	oh := outF // dW rows of the first part
	if outF >= 2*linearSplitRows {
		oh = (outF / 2) &^ 7
	}
	dy, xd, wd, dx, wg := g.dy, g.x, g.w, g.dx, g.dw
	tasks := []func(){
		func() { kernels.Sgemm(true, false, oh, in, m, 1, dy, ld, xd, in, 1, wg, in) },
	}
	if oh < outF { // both dW halves first: the cores start on one each
		tasks = append(tasks, func() {
			kernels.Sgemm(true, false, outF-oh, in, m, 1, dy[oh:], ld, xd, in, 1, wg[oh*in:], in)
		})
	}
	bounds := []int{0, mh, m}
	if m >= 4*linearDxRows {
		q := (m / 4) &^ 7
		bounds = []int{0, q, 2 * q, 3 * q, m}
	}
	for p := 0; p+1 < len(bounds); p++ {
		r0, r1 := bounds[p], bounds[p+1]
		tasks = append(tasks, func() {
			kernels.Sgemm(false, false, r1-r0, in, outF, 1, dy[r0*ld:], ld, wd, in, beta, dx[r0*in:], in)
		})
	}
	kernels.ParallelTasks(len(tasks), func(i int) { tasks[i]() })
	return true
}

// linearDxRows is the smallest dx part (rows) of the four-part split.
const linearDxRows = 256

// linearSplitRows is the smallest dW part (rows) of linearBackwardTasks.
const linearSplitRows = 256

// MatMul multiplies op(a) [..., m, k] by op(b) [..., k, n], where op
// transposes the last two dimensions when the flag is set, giving
// [..., m, n]. a and b have the same batch dimensions, or b is 2-D and
// shared by every batch (it may then be a frozen 16-bit constant).
func MatMul(a, b *Value, transA, transB bool) *Value {
	if len(a.Shape) < 2 || len(b.Shape) < 2 {
		panic(fmt.Sprintf("nn: MatMul needs 2-D or batched operands, got %v and %v", a.Shape, b.Shape))
	}
	ra, ca := a.Shape[len(a.Shape)-2], a.Shape[len(a.Shape)-1]
	rb, cb := b.Shape[len(b.Shape)-2], b.Shape[len(b.Shape)-1]
	m, k := ra, ca
	if transA {
		m, k = ca, ra
	}
	k2, n := rb, cb
	if transB {
		k2, n = cb, rb
	}
	batchA := a.Shape[:len(a.Shape)-2]
	shared := len(b.Shape) == 2
	if k != k2 || (!shared && !equalShape(batchA, b.Shape[:len(b.Shape)-2])) {
		panic(fmt.Sprintf("nn: MatMul shapes do not match: %v (trans %v) x %v (trans %v)", a.Shape, transA, b.Shape, transB))
	}
	if a.q != nil || b.q != nil {
		panic(fmt.Sprintf("nn: MatMul of a quantized matrix (%v x %v): use Linear", a.Shape, b.Shape))
	}
	if b.half != nil && !shared {
		panic(fmt.Sprintf("nn: MatMul with a batched 16-bit right operand %v", b.Shape))
	}
	nb := numel(batchA)
	out := newOut("matmul", append(append([]int(nil), batchA...), m, n))
	lda, ldb := ca, cb
	ad := a.F32()
	var bd []float32
	if b.half == nil {
		bd = b.F32()
	}
	bOff := func(i int) int {
		if shared {
			return 0
		}
		return i * rb * cb
	}
	gemmB := func(ta, tb bool, m, n, k int, x []float32, ldx int, boff int, beta float32, c []float32, ldc int) {
		if b.half != nil {
			kernels.SgemmHalf(b.half.DType().Half(), ta, tb, m, n, k, 1, x, ldx, b.half.U16()[boff:], ldb, beta, c, ldc, false)
		} else {
			kernels.Sgemm(ta, tb, m, n, k, 1, x, ldx, bd[boff:], ldb, beta, c, ldc)
		}
	}
	if m > 0 && n > 0 && k > 0 {
		for i := 0; i < nb; i++ {
			gemmB(transA, transB, m, n, k, ad[i*ra*ca:], lda, bOff(i), 0, out.Data[i*m*n:], n)
		}
	}
	if !needsGrad(a, b) {
		return finish(out, nil, a, b)
	}
	return finish(out, func() {
		if m == 0 || n == 0 || k == 0 {
			return
		}
		dc := out.Grad
		for i := 0; i < nb; i++ {
			dci := dc[i*m*n:]
			if a.RequiresGrad {
				da := a.grad()[i*ra*ca:]
				if !transA { // dA (m×k) = dC · op(B)ᵀ
					gemmB(false, !transB, m, k, n, dci, n, bOff(i), 1, da, lda)
				} else { // dA stored k×m = op(B) · dCᵀ
					gemmBLeft(b, bd, transB, k, m, n, bOff(i), ldb, dci, n, da, lda)
				}
			}
			if b.RequiresGrad {
				db := b.grad()[bOff(i):]
				ai := ad[i*ra*ca:]
				if !transB { // dB (k×n) = op(A)ᵀ · dC
					kernels.Sgemm(!transA, false, k, n, m, 1, ai, lda, dci, n, 1, db, ldb)
				} else { // dB stored n×k = dCᵀ · op(A)
					kernels.Sgemm(true, transA, n, k, m, 1, dci, n, ai, lda, 1, db, ldb)
				}
			}
		}
	}, a, b)
}

// gemmBLeft computes c (k×m) += op(B) (k×n) · dCᵀ where dC is m×n; B is the
// left operand, so a 16-bit B is widened first.
func gemmBLeft(b *Value, bd []float32, transB bool, k, m, n, boff, ldb int, dc []float32, lddc int, c []float32, ldc int) {
	if b.half != nil {
		bd = b.half.F32()
	}
	kernels.Sgemm(transB, true, k, m, n, 1, bd[boff:], ldb, dc, lddc, 1, c, ldc)
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
