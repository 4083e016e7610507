package nn

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/kernels"
)

// LoRA is a low-rank adapter on a linear projection y = x·Wᵀ (Hu et al.,
// 2021, as Hugging Face PEFT computes it): y += Scale · (drop(x)·Aᵀ)·Bᵀ,
// with A [r, in] and B [out, r] float32 values (usually parameters: the
// only trainable part of an adapted model, W staying a frozen constant).
//
// Dropout (probability in [0, 1)) zeroes elements of the adapter's input
// and scales the others by 1/(1-Dropout), as PEFT's lora_dropout does in
// training mode; the base projection always sees x itself. The mask is a
// pure function of Seed and the element index, so recomputing a block (see
// Checkpoint) draws the same mask. Set Dropout to 0 for evaluation.
type LoRA struct {
	A, B    *Value
	Scale   float32
	Dropout float32
	Seed    uint64
}

// LinearLoRA returns LinearStack(x, ws...) with, for every i where
// loras[i] is not nil, that adapter's term added to weight i's output
// columns: the base part stays one GEMM when the weights are stacked (a
// fused Q/K/V or gate/up), each adapter adds two thin GEMMs (rank r).
// len(loras) must equal len(ws). Backward: dx through the (typically
// frozen, possibly 16-bit) base weights plus Scale·((dy·B)·A) through each
// adapter (masked like its input), dA += (Scale·dy·B)ᵀ·drop(x) and
// dB += Scale·dyᵀ·(drop(x)·Aᵀ).
func LinearLoRA(x *Value, ws []*Value, loras []*LoRA) *Value {
	if len(loras) != len(ws) {
		panic(fmt.Sprintf("nn: LinearLoRA with %d weights and %d adapters", len(ws), len(loras)))
	}
	if loras == nil {
		loras = []*LoRA{}
	}
	return linearStack(x, ws, loras)
}

// loraTerms is the adapter part of one LinearLoRA call: per adapter its
// column range, the input it saw (x, or a dropped-out copy) and
// t = drop(x)·Aᵀ, kept for backward. The adapters without dropout all read
// x itself, so they are multiplied as one stacked A: t for all of them is
// one GEMM over x (x packed once), and so are dA and their part of dx.
type loraTerms struct {
	x     *Value
	xd    []float32
	m, in int
	terms []loraTerm
	rs    int       // total rank of the shared (dropout-free) terms
	aAll  []float32 // their A matrices stacked [rs, in]
	tAll  []float32 // their t side by side [m, rs]
}

type loraTerm struct {
	*LoRA
	off, out, r int
	xin         []float32 // the adapter's input: x, or a pool buffer (dropout)
	t           []float32 // drop(x)·Aᵀ, row stride ldt (in tAll at column col when shared)
	ldt, col    int
	shared      bool
}

// newLoRATerms validates the adapters against x [m, in] and the weights.
func newLoRATerms(x *Value, xd []float32, m, in int, ws []*Value, loras []*LoRA) *loraTerms {
	ad := &loraTerms{x: x, xd: xd, m: m, in: in}
	off := 0
	for i, a := range loras {
		out := ws[i].Shape[0]
		if a != nil {
			if a.A == nil || a.B == nil || a.A.half != nil || a.B.half != nil || len(a.A.Shape) != 2 || len(a.B.Shape) != 2 {
				panic(fmt.Sprintf("nn: LinearLoRA adapter %d needs float32 matrices A [r, in] and B [out, r]", i))
			}
			r := a.A.Shape[0]
			if r < 1 || a.A.Shape[1] != in || a.B.Shape[0] != out || a.B.Shape[1] != r {
				panic(fmt.Sprintf("nn: LinearLoRA adapter %d: A %v and B %v do not fit x [..., %d] and weight %v (want A [r, %d], B [%d, r], r >= 1)",
					i, a.A.Shape, a.B.Shape, in, ws[i].Shape, in, out))
			}
			if !(a.Dropout >= 0 && a.Dropout < 1) {
				panic(fmt.Sprintf("nn: LinearLoRA adapter %d: dropout %v outside [0, 1)", i, a.Dropout))
			}
			t := loraTerm{LoRA: a, off: off, out: out, r: r, shared: a.Dropout == 0}
			if t.shared {
				t.col = ad.rs
				ad.rs += r
			}
			ad.terms = append(ad.terms, t)
		}
		off += out
	}
	return ad
}

// values lists the adapter matrices (graph parents of the op).
func (ad *loraTerms) values() []*Value {
	vs := make([]*Value, 0, 2*len(ad.terms))
	for _, t := range ad.terms {
		vs = append(vs, t.A, t.B)
	}
	return vs
}

// forward adds every adapter's term to y [m, ld].
func (ad *loraTerms) forward(y []float32, ld int) {
	m, in := ad.m, ad.in
	if m == 0 {
		return
	}
	if ad.rs > 0 {
		ad.aAll = getBufDirty(ad.rs * in)
		for _, t := range ad.terms {
			if t.shared {
				copy(ad.aAll[t.col*in:], t.A.Data)
			}
		}
		ad.tAll = getBufDirty(m * ad.rs)
		kernels.Sgemm(false, true, m, ad.rs, in, 1, ad.xd, in, ad.aAll, in, 0, ad.tAll, ad.rs)
	}
	for i := range ad.terms {
		t := &ad.terms[i]
		t.xin = ad.xd
		if t.shared {
			t.t, t.ldt = ad.tAll[t.col:], ad.rs
		} else {
			if in > 0 {
				t.xin = getBufDirty(m * in)
				dropout(t.xin, ad.xd, t.Dropout, t.Seed)
			}
			t.t, t.ldt = getBufDirty(m*t.r), t.r
			kernels.Sgemm(false, true, m, t.r, in, 1, t.xin, in, t.A.Data, in, 0, t.t, t.r)
		}
		if t.out > 0 {
			kernels.Sgemm(false, true, m, t.out, t.r, t.Scale, t.t, t.ldt, t.B.Data, t.r, 1, y[t.off:], ld)
		}
	}
}

// release gives the saved buffers back to the pool (nil-safe).
func (ad *loraTerms) release() {
	if ad == nil {
		return
	}
	for i := range ad.terms {
		t := &ad.terms[i]
		if !t.shared {
			if t.t != nil {
				putBuf(t.t)
			}
			if len(t.xin) > 0 && &t.xin[0] != &ad.xd[0] {
				putBuf(t.xin)
			}
		}
		t.t, t.xin = nil, nil
	}
	for _, b := range [][]float32{ad.aAll, ad.tAll} {
		if b != nil {
			putBuf(b)
		}
	}
	ad.aAll, ad.tAll = nil, nil
}

// backward propagates dy [m, ld] through every adapter into A, B and x (x's
// gradient already holds the base part).
func (ad *loraTerms) backward(dy []float32, ld int) {
	if ad == nil || ad.m == 0 {
		return
	}
	defer ad.release()
	m, in := ad.m, ad.in
	xg := ad.x.RequiresGrad && in > 0
	var dtAll, dt, tmp []float32
	if ad.rs > 0 {
		dtAll = getBufDirty(m * ad.rs)
		defer putBuf(dtAll)
	}
	sharedA := false // some shared term wants dA
	for i := range ad.terms {
		t := &ad.terms[i]
		dyi := dy[t.off:]
		if t.B.RequiresGrad && t.out > 0 { // dB += s·dyᵀ·t
			kernels.Sgemm(true, false, t.out, t.r, m, t.Scale, dyi, ld, t.t, t.ldt, 1, t.B.grad(), t.r)
		}
		// dt = s·dy·B (zero when the projection has no outputs)
		dst, ldd := dtAll[min(t.col, len(dtAll)):], ad.rs
		if !t.shared {
			dt = growBuf(dt, m*t.r)
			dst, ldd = dt, t.r
		}
		kernels.Sgemm(false, false, m, t.r, t.out, t.Scale, dyi, ld, t.B.Data, t.r, 0, dst, ldd)
		if t.shared {
			sharedA = sharedA || t.A.RequiresGrad
			continue
		}
		if t.A.RequiresGrad { // dA += dtᵀ·drop(x)
			kernels.Sgemm(true, false, t.r, in, m, 1, dt, t.r, t.xin, in, 1, t.A.grad(), in)
		}
		if xg { // dx += (dt·A) masked like the input
			tmp = growBuf(tmp, m*in)
			kernels.Sgemm(false, false, m, in, t.r, 1, dt, t.r, t.A.Data, in, 0, tmp, in)
			dropout(tmp, tmp, t.Dropout, t.Seed)
			kernels.Axpy(1, tmp, ad.x.grad())
		}
	}
	if ad.rs > 0 {
		if sharedA { // dA of every shared term: one GEMM over x
			dA := getBufDirty(ad.rs * in)
			kernels.Sgemm(true, false, ad.rs, in, m, 1, dtAll, ad.rs, ad.xd, in, 0, dA, in)
			for _, t := range ad.terms {
				if t.shared && t.A.RequiresGrad {
					kernels.Axpy(1, dA[t.col*in:(t.col+t.r)*in], t.A.grad())
				}
			}
			putBuf(dA)
		}
		if xg { // dx += dt·A over every shared term at once
			kernels.Sgemm(false, false, m, in, ad.rs, 1, dtAll, ad.rs, ad.aAll, in, 1, ad.x.grad(), in)
		}
	}
	if dt != nil {
		putBuf(dt)
	}
	if tmp != nil {
		putBuf(tmp)
	}
}

// growBuf returns a pool buffer of n float32s, reusing b when it fits.
func growBuf(b []float32, n int) []float32 {
	if cap(b) >= n {
		return b[:n]
	}
	if b != nil {
		putBuf(b)
	}
	return getBufDirty(n)
}

// dropout writes dst[i] = src[i]·keep(i)/(1-p), where keep(i) is 0 with
// probability p, drawn from a hash of (seed, i) (dst may be src).
func dropout(dst, src []float32, p float32, seed uint64) {
	s := 1 / (1 - p)
	thr := dropThreshold(p)
	kernels.ParallelFor(len(src), 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if dropKeep(seed, i, thr) {
				dst[i] = src[i] * s
			} else {
				dst[i] = 0
			}
		}
	})
}

// dropThreshold maps a drop probability to the 24-bit threshold dropKeep
// compares against.
func dropThreshold(p float32) uint64 { return uint64(math.Round(float64(p) * (1 << 24))) }

// dropKeep reports whether element i survives: the top 24 bits of a
// SplitMix64 hash of (seed, i) are at least thr.
func dropKeep(seed uint64, i int, thr uint64) bool {
	z := seed + (uint64(i)+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return z>>40 >= thr
}
