package kernels

import (
	"math"
	"sync"
	"sync/atomic"
)

// Flash-attention style Attention and AttentionBackward: queries are taken
// in blocks of attnBq positions times the query heads of one key/value head
// (GQA group), keys in tiles of attnBk. Per tile the scores come from one
// small matrix product, the online softmax rescales the running output,
// and P·V is a second product; no NQ x NKV matrix is formed. Work items
// (query block, kv head) are handed to the pool dynamically, largest first.
// The products and the vector steps go through the active kernel table
// (kern), so this code runs on any path; the assembly paths' tables use it.

const (
	attnBq = 16 // query positions per block
	attnBk = 64 // keys per tile
)

// rowScoresGeneric sets out[j] = q · k_j for the nk rows k_j of k at stride
// kstride (row length d).
func rowScoresGeneric(out, q, k []float32, kstride, nk, d int) {
	q = q[:d]
	for j := 0; j < nk; j++ {
		out[j] = dotGeneric(q, k[j*kstride:j*kstride+d])
	}
}

// expSubSumGeneric sets dst = exp(src - m) and returns the sum of dst.
func expSubSumGeneric(m float32, dst, src []float32) float32 {
	src = src[:len(dst)]
	var s float32
	for i, v := range src {
		e := float32(math.Exp(float64(v - m)))
		dst[i] = e
		s += e
	}
	return s
}

// attnScratch is one worker's tile memory, grown on demand.
type attnScratch struct {
	qs, dos, dqs, acc []float32 // R x d
	kt, vt            []float32 // d x keysUsed: one kv head's keys/values, transposed
	sc, dp            []float32 // R x attnBk
	m, l, dd, ls      []float32 // R
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func (sc *attnScratch) size(r, d int) {
	sc.qs, sc.dos, sc.dqs, sc.acc = grow(sc.qs, r*d), grow(sc.dos, r*d), grow(sc.dqs, r*d), grow(sc.acc, r*d)
	sc.sc, sc.dp = grow(sc.sc, r*attnBk), grow(sc.dp, r*attnBk)
	sc.m, sc.l, sc.dd, sc.ls = grow(sc.m, r), grow(sc.l, r), grow(sc.dd, r), grow(sc.ls, r)
}

// attnCall is the state of one Attention or AttentionBackward call. It is
// pooled with its ParallelFor bodies bound once, so a call allocates
// nothing in steady state; its tile scratch memory is pooled as well.
type attnCall struct {
	s                                       AttnShape
	q, k, kt, v, out, dout, lse, dq, dk, dv []float32
	backward                                bool
	nqb, items                              int
	next                                    atomic.Int64
	ktBuf                                   []float32 // K^T of every kv head (forward)
	runFn, transposeFn                      func(lo, hi int)
}

var attnCalls = sync.Pool{New: func() any {
	c := new(attnCall)
	c.runFn, c.transposeFn = c.run, c.transpose
	return c
}}

var scratchPool = sync.Pool{New: func() any { return new(attnScratch) }}

// release drops the caller's slices (the pool must not keep them alive)
// and returns c to the pool.
func (c *attnCall) release() {
	c.q, c.k, c.kt, c.v, c.out, c.dout, c.lse, c.dq, c.dk, c.dv = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	attnCalls.Put(c)
}

// runItems hands the c.items work items to the pool: each worker takes the
// next item when it is done with one (dynamic balance; largest first).
func (c *attnCall) runItems() {
	c.next.Store(0)
	ParallelFor(min(Workers(), c.items), 1, c.runFn)
}

func (c *attnCall) run(lo, hi int) {
	sc := scratchPool.Get().(*attnScratch)
	defer scratchPool.Put(sc)
	for {
		it := int(c.next.Add(1) - 1)
		if it >= c.items {
			return
		}
		if c.backward {
			c.backwardHead(it, sc)
		} else {
			qb := c.nqb - 1 - it/c.s.NKVHeads // later blocks see more keys: first
			attnForwardBlock(c.s, c.q, c.k, c.kt, c.v, c.out, c.lse, qb, it%c.s.NKVHeads, sc)
		}
	}
}

// transpose fills c.kt with K^T of kv heads [lo, hi).
func (c *attnCall) transpose(lo, hi int) {
	_, kvs, _ := c.s.strides()
	d, n := c.s.HeadDim, c.s.keysUsed()
	for g := lo; g < hi; g++ {
		transposeHead(c.kt[g*d*n:(g+1)*d*n], c.k, kvs, g*d, n, d)
	}
}

// checkLens panics with a clear message when a slice is too short for the
// shape (a programming error, like a bad index).
func (s AttnShape) checkLens(q, k, v, out, lse []float32) {
	qs, kvs, os := s.strides()
	d := s.HeadDim
	need := func(name string, x []float32, rows, stride, width int) {
		if rows == 0 {
			return
		}
		if stride < width {
			panic("kernels: attention " + name + " row stride smaller than its row")
		}
		if len(x) < (rows-1)*stride+width {
			panic("kernels: attention slice " + name + " too short for the shape")
		}
	}
	need("q", q, s.NQ, qs, s.NHeads*d)
	need("k", k, s.NKV, kvs, s.NKVHeads*d)
	need("v", v, s.NKV, kvs, s.NKVHeads*d)
	need("out", out, s.NQ, os, s.NHeads*d)
	if lse != nil && len(lse) < s.NQ*s.NHeads {
		panic("kernels: attention lse shorter than NQ*NHeads")
	}
}

// attnRows copies the rows of query block [i0, i1) for kv head g into dst
// (R x d, row r = (i-i0)*group + hh for head g*group+hh).
func attnRows(dst, src []float32, stride, i0, i1, g, group, d int) {
	r := 0
	for i := i0; i < i1; i++ {
		base := i*stride + g*group*d
		copy(dst[r*d:(r+group)*d], src[base:base+group*d])
		r += group
	}
}

// transposeHead writes the head block at column off (width d) of the nkv
// rows of x (row stride stride) as the rows of dst (d x nkv): dst[c*nkv+j]
// = x[j*stride+off+c]. Done once per kv head so the score tiles can read
// K^T (and V^T) with unit stride.
func transposeHead(dst, x []float32, stride, off, nkv, d int) {
	const blk = 16
	for j0 := 0; j0 < nkv; j0 += blk {
		j1 := min(j0+blk, nkv)
		for c0 := 0; c0 < d; c0 += blk {
			c1 := min(c0+blk, d)
			for j := j0; j < j1; j++ {
				row := x[j*stride+off+c0 : j*stride+off+c1]
				for c, val := range row {
					dst[(c0+c)*nkv+j] = val
				}
			}
		}
	}
}

// attnScores fills sc (R x attnBk, first nk columns) with qs · k_j for the
// keys j0..j0+nk-1 of the kv head at column off: a tile product against the
// transposed head kt (d x nkv) when there is one, else dot products
// (decoding, where transposing the whole cache would cost more than it saves).
func attnScores(sc, qs, kt []float32, nkv int, k []float32, kvs, off, j0, nk, rows, d int) {
	if len(kt) == 0 {
		for r := 0; r < rows; r++ {
			kern.attnRowScores(sc[r*attnBk:r*attnBk+nk], qs[r*d:r*d+d], k[j0*kvs+off:], kvs, nk, d)
		}
		return
	}
	for r := 0; r < rows; r++ {
		clear(sc[r*attnBk : r*attnBk+nk])
	}
	kern.attnTile(sc, attnBk, qs, d, kt[j0:], nkv, rows, d, nk)
}

// keysUsed is the number of key rows any query attends to (keys past the
// last query position are never read).
func (s AttnShape) keysUsed() int { return s.QPos0 + s.NQ }

// attnTransposed reports whether the scores use tile products against K^T
// (transposed once per call and kv head, keysUsed x d moves) rather than the
// row-score kernel. The tile product is ~25% faster per flop, which pays for
// the transposition once a kv head has about 64 query rows (NQ x group).
func (s AttnShape) attnTransposed() bool { return s.NQ*(s.NHeads/s.NKVHeads) >= 64 }

func attentionTiled(s AttnShape, q, k, v, out, lse []float32) {
	s.check()
	s.checkLens(q, k, v, out, lse)
	if s.NQ == 0 {
		return
	}
	c := attnCalls.Get().(*attnCall)
	defer c.release()
	c.s, c.q, c.k, c.v, c.out, c.lse, c.backward = s, q, k, v, out, lse, false
	if s.attnTransposed() {
		c.ktBuf = grow(c.ktBuf, s.NKVHeads*s.HeadDim*s.keysUsed())
		c.kt = c.ktBuf
		ParallelFor(s.NKVHeads, 1, c.transposeFn)
	}
	c.nqb = (s.NQ + attnBq - 1) / attnBq
	c.items = c.nqb * s.NKVHeads
	c.runItems()
}

func attnForwardBlock(s AttnShape, q, k, kt, v, out, lse []float32, qb, g int, sc *attnScratch) {
	qs, kvs, os := s.strides()
	d, group := s.HeadDim, s.NHeads/s.NKVHeads
	i0, i1 := qb*attnBq, min(qb*attnBq+attnBq, s.NQ)
	rows := (i1 - i0) * group
	sc.size(rows, d)
	attnRows(sc.qs, q, qs, i0, i1, g, group, d)
	kern.scale(s.Scale, sc.qs[:rows*d]) // scores come out scaled
	var ktg []float32
	if len(kt) > 0 {
		ktg = kt[g*d*s.keysUsed() : (g+1)*d*s.keysUsed()]
	}
	acc, m, l := sc.acc[:rows*d], sc.m[:rows], sc.l[:rows]
	clear(acc)
	clear(l)
	for r := range m {
		m[r] = float32(math.Inf(-1))
	}
	off := g * d
	end := s.QPos0 + i1 // keys [0, end) are seen by some row of the block
	for j0 := 0; j0 < end; j0 += attnBk {
		nk := min(attnBk, end-j0)
		attnScores(sc.sc, sc.qs, ktg, s.keysUsed(), k, kvs, off, j0, nk, rows, d)
		for r := 0; r < rows; r++ {
			row := sc.sc[r*attnBk : r*attnBk+nk]
			nv := min(nk, s.QPos0+i0+r/group-j0+1) // causal: keys j <= position
			if nv <= 0 {
				clear(row)
				continue
			}
			if mt := kern.max(row[:nv]); mt > m[r] {
				corr := float32(math.Exp(float64(m[r] - mt)))
				l[r] *= corr
				kern.scale(corr, acc[r*d:r*d+d])
				m[r] = mt
			}
			l[r] += kern.expSubSum(m[r], row[:nv], row[:nv])
			clear(row[nv:])
		}
		kern.attnTile(acc, d, sc.sc, attnBk, v[j0*kvs+off:], kvs, rows, nk, d)
	}
	for r := 0; r < rows; r++ {
		i, h := i0+r/group, g*group+r%group
		o := out[i*os+h*d : i*os+h*d+d]
		inv := 1 / l[r]
		for x, a := range acc[r*d : r*d+d] {
			o[x] = a * inv
		}
		if lse != nil {
			lse[i*s.NHeads+h] = m[r] + float32(math.Log(float64(l[r])))
		}
	}
}

func attentionBackwardTiled(s AttnShape, q, k, v, out, dout, lse, dq, dk, dv []float32) {
	s.check()
	s.checkLens(q, k, v, out, lse)
	s.checkLens(dq, dk, dv, dout, nil)
	if lse == nil && s.NQ > 0 {
		panic("kernels: AttentionBackward needs the lse saved by Attention")
	}
	if s.NQ == 0 {
		return
	}
	// One item per kv head: dk and dv rows of a kv head and the dq rows of
	// its query heads are written by that item only (no races).
	c := attnCalls.Get().(*attnCall)
	defer c.release()
	c.s, c.q, c.k, c.v, c.out, c.dout, c.lse, c.backward = s, q, k, v, out, dout, lse, true
	c.dq, c.dk, c.dv = dq, dk, dv
	c.items = s.NKVHeads
	c.runItems()
}

// backwardHead accumulates the gradients of kv head g and its query heads.
func (c *attnCall) backwardHead(g int, sc *attnScratch) {
	s := c.s
	if s.attnTransposed() {
		_, kvs, _ := s.strides()
		n := s.HeadDim * s.keysUsed()
		sc.kt, sc.vt = grow(sc.kt, n), grow(sc.vt, n)
		transposeHead(sc.kt, c.k, kvs, g*s.HeadDim, s.keysUsed(), s.HeadDim)
		transposeHead(sc.vt, c.v, kvs, g*s.HeadDim, s.keysUsed(), s.HeadDim)
	} else {
		sc.kt, sc.vt = sc.kt[:0], sc.vt[:0]
	}
	for qb := 0; qb*attnBq < s.NQ; qb++ {
		attnBackwardBlock(s, c.q, c.k, c.v, c.out, c.dout, c.lse, c.dq, c.dk, c.dv, qb, g, sc)
	}
}

func attnBackwardBlock(s AttnShape, q, k, v, out, dout, lse, dq, dk, dv []float32, qb, g int, sc *attnScratch) {
	qs, kvs, os := s.strides()
	d, group := s.HeadDim, s.NHeads/s.NKVHeads
	i0, i1 := qb*attnBq, min(qb*attnBq+attnBq, s.NQ)
	rows := (i1 - i0) * group
	sc.size(rows, d)
	attnRows(sc.qs, q, qs, i0, i1, g, group, d)
	attnRows(sc.dos, dout, os, i0, i1, g, group, d)
	dqs := sc.dqs[:rows*d]
	clear(dqs)
	for r := 0; r < rows; r++ {
		i, h := i0+r/group, g*group+r%group
		// D = dO · O = sum_j p_j (dO · v_j)
		sc.dd[r] = kern.dot(sc.dos[r*d:r*d+d], out[i*os+h*d:i*os+h*d+d])
		sc.ls[r] = lse[i*s.NHeads+h]
	}
	off := g * d
	end := s.QPos0 + i1
	for j0 := 0; j0 < end; j0 += attnBk {
		nk := min(attnBk, end-j0)
		// P (in sc.sc) and dP = dO · V^T (in sc.dp).
		attnScores(sc.sc, sc.qs, sc.kt, s.keysUsed(), k, kvs, off, j0, nk, rows, d)
		attnScores(sc.dp, sc.dos, sc.vt, s.keysUsed(), v, kvs, off, j0, nk, rows, d)
		for r := 0; r < rows; r++ {
			p := sc.sc[r*attnBk : r*attnBk+nk]
			dp := sc.dp[r*attnBk : r*attnBk+nk]
			nv := max(0, min(nk, s.QPos0+i0+r/group-j0+1))
			kern.scale(s.Scale, p[:nv])
			kern.expSubSum(sc.ls[r], p[:nv], p[:nv])
			clear(p[nv:])
			dd := sc.dd[r]
			p = p[:len(dp)]
			for jj, v := range dp {
				dp[jj] = p[jj] * (v - dd) * s.Scale // dS
			}
		}
		// dV += Pᵀ·dO and dK += dSᵀ·Q read P and dS (rows x nk, row-major)
		// as transposed A; dQ += dS·K.
		kern.attnTileT(dv[j0*kvs+off:], kvs, sc.sc, attnBk, sc.dos, d, nk, rows, d)
		kern.attnTileT(dk[j0*kvs+off:], kvs, sc.dp, attnBk, sc.qs, d, nk, rows, d)
		kern.attnTile(dqs, d, sc.dp, attnBk, k[j0*kvs+off:], kvs, rows, nk, d)
	}
	for r := 0; r < rows; r++ {
		i, h := i0+r/group, g*group+r%group
		kern.axpy(1, dqs[r*d:r*d+d], dq[i*qs+h*d:i*qs+h*d+d])
	}
}
