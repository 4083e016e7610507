package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// Sum returns the sum of all elements (a scalar of shape []).
func Sum(x *Value) *Value {
	out := newOut("sum", nil)
	xd := x.F32()
	var s float64
	const blk = 4096
	for i := 0; i < len(xd); i += blk {
		s += float64(kernels.Sum(xd[i:min(i+blk, len(xd))]))
	}
	out.Data[0] = float32(s)
	return finish(out, func() {
		g, d := x.grad(), out.Grad[0]
		for i := range g {
			g[i] += d
		}
	}, x)
}

// Mean returns the mean of all elements.
func Mean(x *Value) *Value {
	n := x.Numel()
	if n == 0 {
		panic("nn: Mean of an empty value")
	}
	return rename(Scale(Sum(x), 1/float32(n)), "mean")
}

func rename(v *Value, op string) *Value { v.op = op; return v }

// MaskedSum sums the last dimension of x weighted by mask (same number of
// elements as x; nil means all ones): out[r] = Σ_j mask[r,j]·x[r,j]. The
// result has x's shape without its last dimension. With per-token log-probs
// [B, T] and a response mask it gives the sequence log-probs [B].
func MaskedSum(x *Value, mask []float32) *Value {
	if len(x.Shape) == 0 || (mask != nil && len(mask) != x.Numel()) {
		panic(fmt.Sprintf("nn: MaskedSum of %v with a mask of %d values", x.Shape, len(mask)))
	}
	l := x.Shape[len(x.Shape)-1]
	out := newOut("masked_sum", x.Shape[:len(x.Shape)-1])
	xd := x.F32()
	for r := range out.Data {
		row := xd[r*l : r*l+l]
		if mask == nil {
			out.Data[r] = kernels.Sum(row)
		} else {
			out.Data[r] = kernels.Dot(row, mask[r*l:r*l+l])
		}
	}
	return finish(out, func() {
		g := x.grad()
		for r, gr := range out.Grad {
			row := g[r*l : r*l+l]
			if mask == nil {
				for j := range row {
					row[j] += gr
				}
			} else {
				kernels.Axpy(gr, mask[r*l:r*l+l], row)
			}
		}
	}, x)
}

// MaskedMean is MaskedSum divided, per row, by the row's mask total (rows
// with an all-zero mask give 0).
func MaskedMean(x *Value, mask []float32) *Value {
	s := MaskedSum(x, mask)
	l := x.Shape[len(x.Shape)-1]
	inv := make([]float32, len(s.Data))
	for r := range inv {
		var t float32 = float32(l)
		if mask != nil {
			t = kernels.Sum(mask[r*l : r*l+l])
		}
		if t != 0 {
			inv[r] = 1 / t
		}
	}
	return rename(Mul(s, FromSlice(inv, s.Shape...)), "masked_mean")
}
