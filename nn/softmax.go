package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

func lastDim(op string, x *Value) (rows, n int) {
	if len(x.Shape) == 0 {
		panic(fmt.Sprintf("nn: %s of a scalar", op))
	}
	n = x.Shape[len(x.Shape)-1]
	if n == 0 {
		return 0, 0
	}
	return x.Numel() / n, n
}

// Softmax over the last dimension. Backward: dx = y∘(g − Σ g∘y).
func Softmax(x *Value) *Value {
	rows, n := lastDim("Softmax", x)
	out := newOut("softmax", x.Shape)
	copy(out.Data, x.F32())
	kernels.ParallelFor(rows, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.Softmax(out.Data[r*n : (r+1)*n])
		}
	})
	return finish(out, func() {
		dx := x.grad()
		kernels.ParallelFor(rows, 8, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				y, g := out.Data[r*n:(r+1)*n], out.Grad[r*n:(r+1)*n]
				s := kernels.Dot(g, y)
				d := dx[r*n : (r+1)*n]
				for j := range d {
					d[j] += y[j] * (g[j] - s)
				}
			}
		})
	}, x)
}

// LogSoftmax over the last dimension. Backward: dx = g − softmax(x)·Σg.
func LogSoftmax(x *Value) *Value {
	rows, n := lastDim("LogSoftmax", x)
	out := newOut("log_softmax", x.Shape)
	xd := x.F32()
	kernels.ParallelFor(rows, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.LogSoftmax(out.Data[r*n:(r+1)*n], xd[r*n:(r+1)*n])
		}
	})
	return finish(out, func() {
		dx := x.grad()
		kernels.ParallelFor(rows, 8, func(lo, hi int) {
			p := make([]float32, n)
			for r := lo; r < hi; r++ {
				g := out.Grad[r*n : (r+1)*n]
				s := kernels.Sum(g)
				kernels.Exp(p, out.Data[r*n:(r+1)*n])
				d := dx[r*n : (r+1)*n]
				kernels.Axpy(1, g, d)
				kernels.Axpy(-s, p, d)
			}
		})
	}, x)
}

// TokenLogProbs returns, for each row r of logits [..., V], the log-softmax
// of the row at targets[r]: the log-probability of the target token. The
// result has logits' shape without the last dimension. A negative target
// marks an ignored row: its output is 0 and it gets no gradient. Only the
// per-row log-sum-exp is kept for backward, not the log-softmax matrix.
// Backward: dlogits[r] = g_r·(onehot(t_r) − softmax(logits[r])).
func TokenLogProbs(logits *Value, targets []int) *Value {
	rows, n := lastDim("TokenLogProbs", logits)
	if len(targets) != rows {
		panic(fmt.Sprintf("nn: TokenLogProbs of logits %v (%d rows) with %d targets", logits.Shape, rows, len(targets)))
	}
	for i, t := range targets {
		if t >= n {
			panic(fmt.Sprintf("nn: TokenLogProbs target %d at row %d outside the vocabulary of %d", t, i, n))
		}
	}
	out := newOut("token_log_probs", logits.Shape[:len(logits.Shape)-1])
	xd := logits.F32()
	lse := make([]float32, rows)
	kernels.ParallelFor(rows, 4, func(lo, hi int) {
		tmp := make([]float32, n)
		for r := lo; r < hi; r++ {
			if targets[r] < 0 {
				continue
			}
			row := xd[r*n : (r+1)*n]
			lse[r] = kernels.LogSoftmax(tmp, row)
			out.Data[r] = row[targets[r]] - lse[r]
		}
	})
	return finish(out, func() {
		// A fresh logits gradient (the usual case: the logits feed only
		// this op) is written directly, -g·softmax(row), without zeroing
		// it first and accumulating into it.
		dx, fresh := logits.gradFresh()
		kernels.ParallelFor(rows, 4, func(lo, hi int) {
			var p []float32
			if !fresh {
				p = make([]float32, n)
			}
			for r := lo; r < hi; r++ {
				t, g := targets[r], out.Grad[r]
				d := dx[r*n : (r+1)*n]
				if t < 0 || g == 0 {
					if fresh {
						clear(d)
					}
					continue
				}
				row := xd[r*n : (r+1)*n]
				q := p
				if fresh {
					q = d
				}
				for j, v := range row {
					q[j] = v - lse[r]
				}
				kernels.Exp(q, q)
				if fresh {
					kernels.Scale(-g, d)
				} else {
					kernels.Axpy(-g, p, d)
				}
				d[t] += g
			}
		})
	}, logits)
}

// CrossEntropy returns the mean over non-ignored rows (targets[r] >= 0) of
// −log softmax(logits[r])[targets[r]], a scalar. When every row is ignored
// the loss is 0 with a zero gradient.
func CrossEntropy(logits *Value, targets []int) *Value {
	count := 0
	for _, t := range targets {
		if t >= 0 {
			count++
		}
	}
	lp := TokenLogProbs(logits, targets)
	s := float32(0)
	if count > 0 {
		s = -1 / float32(count)
	}
	return rename(Scale(Sum(lp), s), "cross_entropy")
}

// WeightedCrossEntropy returns −Σ_r weights[r]·log softmax(logits[r])[targets[r]]
// / Σ_r weights[r], a scalar: cross-entropy under a float mask (0 drops a
// row; negative targets are dropped too). A zero total weight gives 0 with a
// zero gradient.
func WeightedCrossEntropy(logits *Value, targets []int, weights []float32) *Value {
	if len(weights) != len(targets) {
		panic(fmt.Sprintf("nn: WeightedCrossEntropy with %d targets and %d weights", len(targets), len(weights)))
	}
	w := make([]float32, len(weights))
	var total float64
	for i, x := range weights {
		if targets[i] >= 0 {
			w[i] = x
			total += float64(x)
		}
	}
	lp := TokenLogProbs(logits, targets)
	s := float32(0)
	if total != 0 {
		s = float32(-1 / total)
	}
	return rename(Reshape(Scale(MaskedSum(Reshape(lp, 1, -1), w), s)), "weighted_cross_entropy")
}
