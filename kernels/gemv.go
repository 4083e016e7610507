package kernels

import (
	"sync"
	"unsafe"
)

// GEMV: the m == 1 case of Sgemm/SgemmHalf (LLM decode). It is memory
// bound, so the kernels stream the weights once, 16-bit weights are widened
// in registers, and the output columns are split over the workers.

// gemvRowsFunc: out[r] = dot(x[:k], w[r*ldw:][:k]) for r < rows, with k a
// multiple of the arch width. w points at f32, bf16 or f16 elements.
type gemvRowsFunc func(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)

// gemvColsFunc: acc[j] += sum_{p<k} x[p]*b[p*ldb+j] for j < n, with n a
// multiple of the arch width.
type gemvColsFunc func(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)

// gemvRows4Func is a small-m kernel: out[r*4+i] = dot(row i of X, row r of
// W) over k (a multiple of 16) for r < rows, i < 4, where x4 holds 4 rows of
// X interleaved in 16-float chunks (chunk c of row i at x4[(4c+i)*16:]).
type gemvRows4Func func(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)

// gemvArch is one path's GEMV kernels, indexed by weight type (elemIndex).
// rows4 (may be nil) serves C = X*W^T for a few rows of X (batched decode).
type gemvArch struct {
	width int
	rows  [3]gemvRowsFunc
	cols  [3]gemvColsFunc
	rows4 [3]gemvRows4Func
	// mediumM: the few-rows path is taken up to this many rows (at least
	// smallMMax) while X fits in half of L2; past it the blocked GEMM wins.
	mediumM int
}

// gemvFlopsSerial: below this many flops GEMV stays on one core.
const gemvFlopsSerial = 1 << 18

const (
	gemvRowBlock = 64   // dot products per kernel call (transB)
	gemvColBlock = 1024 // accumulator columns per kernel call (!transB)
)

// elemIndex: 0 f32, 1 bf16, 2 f16.
func (bs *bSource) elemIndex() int {
	if !bs.half {
		return 0
	}
	if bs.kind == BF16 {
		return 1
	}
	return 2
}

// at returns element off of B as float32.
func (bs *bSource) at(off int) float32 {
	if !bs.half {
		return bs.f[off]
	}
	if bs.kind == BF16 {
		return bf16At(bs.h[off])
	}
	return F16ToF32One(bs.h[off])
}

// ptr returns the address of element off of B.
func (bs *bSource) ptr(off int) unsafe.Pointer {
	if !bs.half {
		return unsafe.Pointer(&bs.f[off])
	}
	return unsafe.Pointer(&bs.h[off])
}

// gemvCall is one GEMV call; its range functions are bound once so the
// hand-off to the pool allocates nothing (recycled via gemvCallPool).
type gemvCall struct {
	ga          *gemvArch
	x           []float32
	bs          bSource
	et          int
	n, k        int
	alpha, beta float32
	c           []float32

	// small-m state: rows i0..i0+mi of op(A), interleaved into x4
	transA                  bool
	a                       []float32
	lda, ldc                int
	i0, mi                  int
	x4                      []float32
	rowsFn, colsFn, rows4Fn func(lo, hi int)
}

var gemvCallPool = sync.Pool{New: func() any {
	g := new(gemvCall)
	g.rowsFn, g.colsFn, g.rows4Fn = g.rows, g.cols, g.rows4
	return g
}}

// gemvRun computes c[:n] = alpha*op(A)*op(B) + beta*c[:n] for m == 1. The
// arguments must already be validated by checkGemm.
func gemvRun(ga *gemvArch, transA bool, n, k int, alpha float32, a []float32, lda int, bs bSource, beta float32, c []float32) {
	if n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(1, n, beta, c, n)
		return
	}
	g := gemvCallPool.Get().(*gemvCall)
	g.x = a[:k]
	var xb *f32Buf
	if transA { // op(A) is column 0 of a k×1 matrix: gather it
		xb = getBuf(k)
		for p := range xb.s {
			xb.s[p] = a[p*lda]
		}
		g.x = xb.s
	}
	g.ga, g.bs, g.et, g.n, g.k, g.alpha, g.beta, g.c = ga, bs, bs.elemIndex(), n, k, alpha, beta, c[:n]
	parallel := Workers() > 1 && 2*float64(n)*float64(k) >= gemvFlopsSerial
	switch {
	case bs.trans && parallel:
		ParallelFor(n, 16, g.rowsFn)
	case bs.trans:
		g.rows(0, n)
	case parallel:
		ParallelFor((n+15)/16, 1, g.colsFn)
	default:
		g.cols(0, (n+15)/16)
	}
	g.x, g.bs, g.c = nil, bSource{}, nil
	gemvCallPool.Put(g)
	if xb != nil {
		putBuf(xb)
	}
}

// rows handles outputs [lo, hi) for B stored n×k: dot products of x with
// rows of B, gemvRowBlock at a time.
func (g *gemvCall) rows(lo, hi int) {
	x, bs, k, ld := g.x, &g.bs, g.k, g.bs.ld
	kMain := k - k%g.ga.width
	ob := getBuf(gemvRowBlock)
	defer putBuf(ob)
	for j0 := lo; j0 < hi; j0 += gemvRowBlock {
		cnt := min(gemvRowBlock, hi-j0)
		out := ob.s[:cnt]
		if kMain > 0 {
			g.ga.rows[g.et](kMain, &x[0], bs.ptr(j0*ld), ld, cnt, &out[0])
		} else {
			clear(out)
		}
		if kMain < k {
			for r := range out {
				s := out[r]
				base := (j0 + r) * ld
				for p := kMain; p < k; p++ {
					s += x[p] * bs.at(base+p)
				}
				out[r] = s
			}
		}
		gemvStore(g.c[j0:j0+cnt], out, g.alpha, g.beta)
	}
}

// cols handles output blocks of 16 columns [lo, hi) for B stored k×n:
// whole rows of B are accumulated into a column block.
func (g *gemvCall) cols(lo, hi int) {
	x, bs, k, ld, n := g.x, &g.bs, g.k, g.bs.ld, g.n
	lo *= 16
	hi = min(hi*16, n)
	ab := getBuf(gemvColBlock)
	defer putBuf(ab)
	for j0 := lo; j0 < hi; j0 += gemvColBlock {
		cnt := min(gemvColBlock, hi-j0)
		cMain := cnt - cnt%g.ga.width
		acc := ab.s[:cnt]
		clear(acc)
		if cMain > 0 {
			g.ga.cols[g.et](k, cMain, &x[0], bs.ptr(j0), ld, &acc[0])
		}
		for j := cMain; j < cnt; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += x[p] * bs.at(p*ld+j0+j)
			}
			acc[j] = s
		}
		gemvStore(g.c[j0:j0+cnt], acc, g.alpha, g.beta)
	}
}

// gemvStore writes dst = alpha*v + beta*dst (beta == 0: dst not read).
func gemvStore(dst, v []float32, alpha, beta float32) {
	v = v[:len(dst)]
	if beta == 0 {
		for i := range dst {
			dst[i] = alpha * v[i]
		}
		return
	}
	for i := range dst {
		dst[i] = alpha*v[i] + beta*dst[i]
	}
}
