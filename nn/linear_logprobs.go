package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// logitChunkElems bounds the logits LinearLogProbs holds at once (64 MB);
// tests lower it to exercise chunking on small problems.
var logitChunkElems = 16 << 20

// LinearLogProbs fuses the output projection with TokenLogProbs: for each
// row r of h [..., D] it returns log softmax(scale · h[r]·Wᵀ)[targets[r]],
// where w is [V, D] (a trainable F32 value, a frozen 16-bit or quantized
// constant) and
// scale is, e.g., 1/temperature (1 for plain log-probs). Negative targets
// are ignored (output 0, no gradient). The [rows, V] logits are never held
// whole: rows are processed in chunks in forward (keeping one log-sum-exp
// per row) and the chunk's logits are recomputed in backward. This trades one
// extra projection GEMM for not storing logits and their gradient, which for
// LLaMA-3 vocabularies (128k) is most of a training step's memory.
func LinearLogProbs(h, w *Value, targets []int, scale float32) *Value {
	if len(w.Shape) != 2 || len(h.Shape) == 0 || h.Shape[len(h.Shape)-1] != w.Shape[1] {
		panic(fmt.Sprintf("nn: LinearLogProbs of h %v with weight %v (want h [..., D], weight [V, D])", h.Shape, w.Shape))
	}
	v, d := w.Shape[0], w.Shape[1]
	rows := numel(h.Shape[:len(h.Shape)-1])
	if len(targets) != rows {
		panic(fmt.Sprintf("nn: LinearLogProbs of h %v (%d rows) with %d targets", h.Shape, rows, len(targets)))
	}
	for i, t := range targets {
		if t >= v {
			panic(fmt.Sprintf("nn: LinearLogProbs target %d at row %d outside the vocabulary of %d", t, i, v))
		}
	}
	out := newOut("linear_log_probs", h.Shape[:len(h.Shape)-1])
	if v == 0 || rows == 0 {
		return finish(out, nil, h, w)
	}
	hd := h.F32()
	chunk := max(1, min(rows, logitChunkElems/max(v, 1)))
	logits := make([]float32, chunk*v)
	lse := make([]float32, rows)
	project := func(r0, n int, dst []float32) {
		if w.q != nil {
			w.q.mulT(n, hd[r0*d:], d, 0, v, 0, dst, v)
			if scale != 1 {
				kernels.Scale(scale, dst[:n*v])
			}
			return
		}
		if w.half != nil {
			kernels.SgemmHalf(w.half.DType().Half(), false, true, n, v, d, scale, hd[r0*d:], d, w.half.U16(), d, 0, dst, v, false)
		} else {
			kernels.Sgemm(false, true, n, v, d, scale, hd[r0*d:], d, w.Data, d, 0, dst, v)
		}
	}
	for r0 := 0; r0 < rows; r0 += chunk {
		n := min(chunk, rows-r0)
		project(r0, n, logits)
		kernels.ParallelFor(n, 4, func(lo, hi int) {
			tmp := make([]float32, v)
			for i := lo; i < hi; i++ {
				r := r0 + i
				if targets[r] < 0 {
					continue
				}
				row := logits[i*v : (i+1)*v]
				lse[r] = kernels.LogSoftmax(tmp, row)
				out.Data[r] = row[targets[r]] - lse[r]
			}
		})
	}
	if !needsGrad(h, w) {
		return finish(out, nil, h, w)
	}
	return finish(out, func() {
		g := out.Grad
		buf := make([]float32, chunk*v)
		for r0 := 0; r0 < rows; r0 += chunk {
			n := min(chunk, rows-r0)
			project(r0, n, buf)
			// dlogits (pre-scale) = scale · g_r · (onehot − softmax)
			kernels.ParallelFor(n, 4, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					r := r0 + i
					row := buf[i*v : (i+1)*v]
					if targets[r] < 0 || g[r] == 0 {
						clear(row)
						continue
					}
					for j, x := range row {
						row[j] = x - lse[r]
					}
					kernels.Exp(row, row)
					kernels.Scale(-scale*g[r], row)
					row[targets[r]] += scale * g[r]
				}
			})
			if h.RequiresGrad {
				dh := h.grad()[r0*d:]
				if w.q != nil {
					w.q.mulDx(n, 1, buf, v, 1, dh, d)
				} else if w.half != nil {
					kernels.SgemmHalf(w.half.DType().Half(), false, false, n, d, v, 1, buf, v, w.half.U16(), d, 1, dh, d, false)
				} else {
					kernels.Sgemm(false, false, n, d, v, 1, buf, v, w.Data, d, 1, dh, d)
				}
			}
			if w.RequiresGrad {
				kernels.Sgemm(true, false, v, d, n, 1, buf, v, hd[r0*d:], d, 1, w.grad(), d)
			}
		}
	}, h, w)
}

// LinearCrossEntropy is CrossEntropy(Linear(h, w), targets) computed through
// LinearLogProbs (logits never held whole): the mean over non-ignored rows
// of −log softmax(h[r]·Wᵀ)[targets[r]]; 0 with a zero gradient when every row
// is ignored.
func LinearCrossEntropy(h, w *Value, targets []int) *Value {
	count := 0
	for _, t := range targets {
		if t >= 0 {
			count++
		}
	}
	s := float32(0)
	if count > 0 {
		s = -1 / float32(count)
	}
	return rename(Scale(Sum(LinearLogProbs(h, w, targets, 1)), s), "linear_cross_entropy")
}
