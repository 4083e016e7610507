package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// LinearStack returns x·[W1; W2; ...]ᵀ: the Linear of x by every weight,
// side by side in the last dimension (x [..., in], Wi [outi, in], result
// [..., out1+out2+...]), as one op. Backward: dx += Σ dyi·Wi,
// dWi += dyiᵀ·x.
//
// When the weights are stacked in memory (f32, W1's Data extending within
// its capacity over W2's, W3's, ... in order, as the row views of one
// fused buffer that llama's Q/K/V and gate/up matrices are), each pass is
// a single GEMM over all the outputs instead of one narrow GEMM per
// weight; the weights' gradients are then allocated stacked the same way
// (when none has one yet) so dW is one GEMM too. Any other weights (for
// example frozen 16-bit ones) are multiplied one by one into their column
// ranges, with the same results up to rounding. Frozen 16-bit weights
// stacked the same way (one buffer of raw bits, the first tensor's storage
// extending over the others) are also one GEMM per pass.
func LinearStack(x *Value, ws ...*Value) *Value {
	return linearStack(x, ws, nil)
}

// linearStack is LinearStack plus, for every non-nil loras[i], that
// adapter's low-rank term in weight i's columns (see LinearLoRA).
func linearStack(x *Value, ws []*Value, loras []*LoRA) *Value {
	if len(ws) == 0 {
		panic("nn: LinearStack of no weights")
	}
	if len(x.Shape) == 0 {
		panic(fmt.Sprintf("nn: LinearStack of x %v", x.Shape))
	}
	in := x.Shape[len(x.Shape)-1]
	outs := make([]int, len(ws))
	total := 0
	for i, w := range ws {
		if len(w.Shape) != 2 || w.Shape[1] != in {
			panic(fmt.Sprintf("nn: LinearStack of x %v with weight %d %v (want x [..., in], weights [out, in])", x.Shape, i, w.Shape))
		}
		outs[i] = w.Shape[0]
		total += outs[i]
	}
	m := numel(x.Shape[:len(x.Shape)-1])
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), total)
	var out *Value
	if m > 0 && total > 0 && in > 0 {
		out = newOutDirty("linear", shape) // the GEMMs (beta 0) write every column
	} else {
		out = newOut("linear", shape)
	}
	xd := x.F32()
	whole := stackedWeights(ws)
	wholeHalf, kind := stackedHalfWeights(ws)
	if m > 0 && total > 0 && in > 0 {
		switch {
		case whole != nil:
			kernels.Sgemm(false, true, m, total, in, 1, xd, in, whole, in, 0, out.Data, total)
		case wholeHalf != nil:
			kernels.SgemmHalf(kind, false, true, m, total, in, 1, xd, in, wholeHalf, in, 0, out.Data, total, false)
		default:
			off := 0
			for i, w := range ws {
				if outs[i] > 0 {
					c := out.Data[off:]
					if w.half != nil {
						kernels.SgemmHalf(w.half.DType().Half(), false, true, m, outs[i], in, 1, xd, in, w.half.U16(), in, 0, c, total, false)
					} else {
						kernels.Sgemm(false, true, m, outs[i], in, 1, xd, in, w.Data, in, 0, c, total)
					}
				}
				off += outs[i]
			}
		}
	}
	in2 := append([]*Value{x}, ws...)
	var ad *loraTerms
	if loras != nil {
		ad = newLoRATerms(x, xd, m, in, ws, loras)
		ad.forward(out.Data, total)
		in2 = append(in2, ad.values()...)
	}
	if !needsGrad(in2...) {
		ad.release()
		return finish(out, nil, in2...)
	}
	return finish(out, func() {
		if m == 0 || total == 0 || in == 0 {
			return
		}
		linearStackBackward(x, xd, ws, outs, whole, wholeHalf, kind, m, in, total, out.Grad)
		ad.backward(out.Grad, total)
	}, in2...)
}

// linearStackBackward is LinearStack's backward over m rows: dx (+)= dy·W
// over every weight, dWi += dyiᵀ·x for the weights that want it.
func linearStackBackward(x *Value, xd []float32, ws []*Value, outs []int, whole []float32, wholeHalf []uint16, kind kernels.Half, m, in, total int, dy []float32) {
	concurrent := true
	frozen := true
	for _, w := range ws {
		concurrent = concurrent && w != x
		frozen = frozen && !w.RequiresGrad
	}
	if whole != nil || wholeHalf != nil {
		g := linearGrad{m: m, in: in, out: total, dy: dy, dyLd: total, x: xd, w: whole, wHalf: wholeHalf, kind: kind}
		ok := frozen // frozen stacked weights: dx is one GEMM
		if whole != nil && !frozen {
			g.dw = stackedGrads(ws)
			ok = g.dw != nil
		}
		if ok {
			if !x.RequiresGrad && g.dw == nil {
				return
			}
			if x.RequiresGrad {
				g.dx, g.dxFresh = x.gradFresh()
			}
			g.run(concurrent)
			return
		}
	}
	// One weight at a time: dx over every weight's columns (the first
	// overwrites a fresh gradient), then each wanted dW.
	var dx []float32
	fresh := false
	if x.RequiresGrad {
		dx, fresh = x.gradFresh()
	}
	off := 0
	for i, w := range ws {
		g := linearGrad{m: m, in: in, out: outs[i], dy: dy[off:], dyLd: total, x: xd, dx: dx, dxFresh: fresh}
		if w.half != nil {
			g.wHalf, g.kind = w.half.U16(), w.half.DType().Half()
		} else {
			g.w = w.Data
		}
		if w.RequiresGrad {
			g.dw = w.grad()
		}
		if outs[i] > 0 && (g.dx != nil || g.dw != nil) {
			g.run(concurrent)
			fresh = false
		}
		off += outs[i]
	}
	if fresh { // every weight has zero rows: dx gets nothing
		clear(dx)
	}
}

// stacked returns the storage of parts laid out back to back, in order,
// within the capacity of parts[0], or nil when they are not (or any part
// is empty).
func stacked[T float32 | uint16](parts [][]T) []T {
	total := 0
	for _, p := range parts {
		if len(p) == 0 {
			return nil
		}
		total += len(p)
	}
	if len(parts) == 0 || cap(parts[0]) < total {
		return nil
	}
	whole := parts[0][:total]
	off := 0
	for _, p := range parts {
		if &p[0] != &whole[off] {
			return nil
		}
		off += len(p)
	}
	return whole
}

// stackedHalfWeights returns the 16-bit weights' stacked storage and
// format, or nil when the weights are not all 16-bit of one format and
// stacked (frozen fused projections, as llama's Trainable builds them for a
// model view with an adapter).
func stackedHalfWeights(ws []*Value) ([]uint16, kernels.Half) {
	parts := make([][]uint16, len(ws))
	for i, w := range ws {
		if w.half == nil || w.half.DType() != ws[0].half.DType() {
			return nil, 0
		}
		parts[i] = w.half.U16()
	}
	return stacked(parts), ws[0].half.DType().Half()
}

// stackedWeights returns the f32 weights' stacked storage, or nil.
func stackedWeights(ws []*Value) []float32 {
	parts := make([][]float32, len(ws))
	for i, w := range ws {
		if w.half != nil {
			return nil
		}
		parts[i] = w.Data
	}
	return stacked(parts)
}

// stackedGrads returns the weights' gradients as one stacked buffer when
// every weight wants one: the existing buffers if they are stacked, or,
// when no weight has a gradient yet, a new zeroed buffer whose row views
// become their gradients (the first one's capacity spanning all of it, so
// the next call finds them stacked). Otherwise nil.
func stackedGrads(ws []*Value) []float32 {
	parts := make([][]float32, len(ws))
	none := true
	for i, w := range ws {
		if !w.RequiresGrad || w.backward != nil || w.parents != nil {
			return nil // a frozen or computed weight
		}
		parts[i] = w.Grad
		none = none && w.Grad == nil
	}
	if !none {
		return stacked(parts)
	}
	total := 0
	for _, w := range ws {
		if w.Numel() == 0 {
			return nil
		}
		total += w.Numel()
	}
	g := make([]float32, total)
	off := 0
	for i, w := range ws {
		n := w.Numel()
		if i == 0 {
			w.Grad = g[:n]
		} else {
			w.Grad = g[off : off+n : off+n]
		}
		off += n
	}
	return g
}
