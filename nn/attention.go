package nn

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/kernels"
)

// Attention is fused causal grouped-query attention: q is [B, T, nHeads*d]
// (or [T, nHeads*d]), k and v are [B, T, nKVHeads*d]; query head h reads
// key/value head h/(nHeads/nKVHeads); the scale is 1/sqrt(d). Every sequence
// starts at position 0. It runs kernels.Attention per sequence and keeps only
// the output and the per-row log-sum-exp, so backward
// (kernels.AttentionBackward) recomputes probabilities and never holds a
// T x T matrix. Sequences of different lengths in one batch must be padded
// on the right: causality keeps real tokens from attending to the padding
// after them, and the padded rows' outputs are to be masked out of the loss.
func Attention(q, k, v *Value, nHeads, nKVHeads int) *Value {
	if len(q.Shape) >= 2 && len(k.Shape) == len(q.Shape) && k.Shape[len(k.Shape)-2] != q.Shape[len(q.Shape)-2] {
		panic(fmt.Sprintf("nn: Attention of q %v with k %v: different sequence lengths (use AttentionAt for a prefix)", q.Shape, k.Shape))
	}
	return AttentionAt(q, k, v, nHeads, nKVHeads, 0)
}

// AttentionAt is Attention for queries that continue a prefix: q is
// [B, Tq, nHeads*d], k and v are [B, Tk, nKVHeads*d] with Tk >= qPos0+Tq,
// query row i sits at position qPos0+i and attends to key rows 0..qPos0+i.
// With k and v built as Concat(1, prefixKV, newKV), several continuations of
// one prompt can share the prompt's keys and values (gradients from every
// continuation accumulate into them).
func AttentionAt(q, k, v *Value, nHeads, nKVHeads, qPos0 int) *Value {
	bad := func() {
		panic(fmt.Sprintf("nn: Attention of q %v, k %v, v %v with %d heads, %d kv heads, first query position %d", q.Shape, k.Shape, v.Shape, nHeads, nKVHeads, qPos0))
	}
	if nHeads <= 0 || nKVHeads <= 0 || nHeads%nKVHeads != 0 || len(q.Shape) < 2 || len(q.Shape) > 3 ||
		len(k.Shape) != len(q.Shape) || !equalShape(k.Shape, v.Shape) || qPos0 < 0 {
		bad()
	}
	nd := len(q.Shape)
	width := q.Shape[nd-1]
	if width%nHeads != 0 {
		bad()
	}
	d := width / nHeads
	if k.Shape[nd-1] != nKVHeads*d || k.Shape[nd-2] < qPos0+q.Shape[nd-2] || (nd == 3 && k.Shape[0] != q.Shape[0]) {
		bad()
	}
	t, tk := q.Shape[nd-2], k.Shape[nd-2]
	b := 1
	if nd == 3 {
		b = q.Shape[0]
	}
	kvw := nKVHeads * d
	s := kernels.AttnShape{NQ: t, NKV: qPos0 + t, QPos0: qPos0, NHeads: nHeads, NKVHeads: nKVHeads, HeadDim: d, Scale: float32(1 / math.Sqrt(float64(d)))}
	out := newOut("attention", q.Shape)
	qd, kd, vd := q.F32(), k.F32(), v.F32()
	keep := needsGrad(q, k, v)
	var lse []float32
	if keep {
		lse = make([]float32, b*t*nHeads)
	}
	if t > 0 && d > 0 {
		// One task per sequence, claimed by whichever core is free.
		kernels.ParallelTasks(b, func(i int) {
			var l []float32
			if keep {
				l = lse[i*t*nHeads : (i+1)*t*nHeads]
			}
			kernels.Attention(s, qd[i*t*width:], kd[i*tk*kvw:], vd[i*tk*kvw:], out.Data[i*t*width:], l)
		})
	}
	if !keep {
		return finish(out, nil, q, k, v)
	}
	return finish(out, func() {
		if t == 0 || d == 0 {
			return
		}
		// AttentionBackward needs all three buffers; use scratch for inputs
		// that need no gradient.
		buf := func(x *Value) []float32 {
			if x.RequiresGrad {
				return x.grad()
			}
			return make([]float32, x.Numel())
		}
		dq, dk, dv := buf(q), buf(k), buf(v)
		kernels.ParallelTasks(b, func(i int) {
			qo, ko := i*t*width, i*tk*kvw
			kernels.AttentionBackward(s, qd[qo:], kd[ko:], vd[ko:], out.Data[qo:], out.Grad[qo:],
				lse[i*t*nHeads:(i+1)*t*nHeads], dq[qo:], dk[ko:], dv[ko:])
		})
	}, q, k, v)
}
