package kernels

import (
	"sync"
	"sync/atomic"
)

// Blocked (GotoBLAS/BLIS-style) SGEMM driver shared by every instruction-set
// path. Row-major C = alpha*op(A)*op(B) + beta*C is computed as:
//
//	for each depth block pc of kc (beta applied on the first one only)
//	  for each row block of up to mb rows of op(A)
//	    pack op(A)[rows, pc] into mr-row micro-panels      (parallel, shared, L3)
//	    split the columns (or, for narrow C, the rows) over the workers; each
//	    worker, for each column block of up to nb columns:
//	      pack op(B)[pc, cols] into nr-column micro-panels  (private, L2)
//	      for each A micro-panel (stays in L1)
//	        for each B micro-panel (streams from L2)
//	          micro-kernel: mr×nr tile of C over kc
//
// The micro-kernel always computes a full mr×nr tile: packed panels are
// zero-padded past m, n. Edge tiles are computed into a small temp tile and
// merged, so nothing outside C is read or written.

// microKernel computes the mr×nr tile C = alpha*Apanel*Bpanel + beta*C over k
// steps, a holding mr floats and b nr floats per step. beta == 0 (or -0)
// must not read C. k >= 1.
type microKernel func(k int, a, b, c *float32, ldc int, alpha, beta float32)

// gemmArch describes one path's micro-kernel and blocking parameters.
type gemmArch struct {
	name   string
	mr, nr int
	kc     int // max depth of a packed block
	nb     int // max columns of a worker's packed B block (multiple of nr)
	mb     int // max rows of the shared packed A block (multiple of mr)
	kern   microKernel
	edges  []edgeKernel // narrower kernels for the last B panel (gemm_edge.go)
	pack   *packKernels // assembly packers, nil: Go loops
	// pairs: the kernel takes bf16 pairs (A rounded to bf16, one dword per
	// two depth steps, even step in the low half) and k counts pairs.
	pairs bool
}

// bSource is the B operand: f32, or 16-bit (bf16/f16) widened while packing.
type bSource struct {
	half  bool // h (16-bit, format kind) is the operand, else f
	f     []float32
	h     []uint16
	kind  Half
	trans bool
	ld    int
}

// gemmFlopsSerial: below this many flops the call stays on one core (the
// hand-off to the pool costs a few microseconds).
const gemmFlopsSerial = 4 << 20

// scaleC sets C = beta*C (beta == 0 writes zeros without reading C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// gemmCall holds one blocked GEMM call and the depth/row block in
// progress; its range functions are bound once, so handing work to the
// pool allocates nothing (calls are recycled through gemmCallPool).
type gemmCall struct {
	ar          *gemmArch
	transA      bool
	m, n, k     int
	alpha, beta float32 // beta: the one of the current depth block
	a           []float32
	lda         int
	bs          bSource
	c           []float32
	ldc         int

	p0, kl, t0, nTiles int
	ap                 []float32
	splitN             bool
	packFn, computeFn  func(lo, hi int)

	// Dynamic schedule of the compute phase (see claimUnits): units
	// [0, units) of one tile each, handed out chunk units at a time.
	units, chunk, minRun, workers int
	next                          atomic.Int64
	claimFn                       func(lo, hi int)
}

var gemmCallPool = sync.Pool{New: func() any {
	g := new(gemmCall)
	g.packFn, g.computeFn, g.claimFn = g.packRange, g.computeRange, g.claimUnits
	return g
}}

// packRange packs A micro-panels [lo, hi) of the current row block.
func (g *gemmCall) packRange(lo, hi int) {
	mr, ks := g.ar.mr, g.slots()
	if g.transA && !g.ar.pairs && gemmPackGroup > 1 {
		// Whole panels, gemmPackGroup at a time (copyRunsPanels).
		full := min(hi, g.m/mr-g.t0)
		for lo+1 < full {
			np := min(gemmPackGroup, full-lo)
			copyRunsPanels(g.ap[lo*mr*ks:], g.a[g.p0*g.lda+(g.t0+lo)*mr:], mr, g.lda, g.kl, np, mr*ks, g.ar.pack)
			lo += np
		}
	}
	for t := lo; t < hi; t++ {
		dst := g.ap[t*mr*ks : (t+1)*mr*ks]
		if g.ar.pairs {
			packAPanelPairs(dst, g.ar.pack, g.transA, g.a, g.lda, g.m, (g.t0+t)*mr, mr, g.p0, g.kl)
		} else {
			packAPanel(dst, g.ar.pack, g.transA, g.a, g.lda, g.m, (g.t0+t)*mr, mr, g.p0, g.kl)
		}
	}
}

// gemmPackGroup is how many A micro-panels of a transposed A (stored
// k×m) are packed in one pass over the rows (copyRunsPanels); 1 packs
// panel by panel (the benchmarks compare).
var gemmPackGroup = 8

// computeRange computes a share of the current block: B micro-panels
// [lo, hi) when splitting columns, else A micro-panels [lo, hi).
func (g *gemmCall) computeRange(lo, hi int) {
	nt := len(g.ap) / (g.ar.mr * g.slots())
	if g.splitN {
		gemmMacro(g.ar, g.ap, g.t0, 0, nt, lo, hi, g.m, g.n, g.kl, g.p0, g.alpha, g.bs, g.beta, g.c, g.ldc)
	} else {
		gemmMacro(g.ar, g.ap, g.t0, lo, hi, 0, g.nTiles, g.m, g.n, g.kl, g.p0, g.alpha, g.bs, g.beta, g.c, g.ldc)
	}
}

// The compute phase of a block is a grid of nt A micro-panels by nTiles B
// micro-panels (one mr×nr tile each). When splitting columns it is
// linearized column-major (unit u = j*nt + t): a run of units covers whole
// B panels, each packed once, plus at most two partial ones, so the grid
// splits evenly even when nTiles is not a multiple of the worker count.
// Otherwise (few B panels, packed by every run) a unit is a whole row of
// tiles. Workers claim runs of chunk units from an atomic counter, so a
// worker that was briefly descheduled does not leave the other waiting at
// the barrier.

// gemmStaticSplit selects the previous schedule, one static share of
// whole B (or A) panels per worker; the benchmarks compare both in one run.
var gemmStaticSplit bool

// gemmChunksPerWorker is how many runs the grid is cut into per worker
// (fixed-size schedule).
const gemmChunksPerWorker = 4

// gemmMinChunkTiles keeps a run long enough that packing its B panels and
// claiming it stay small next to its compute.
const gemmMinChunkTiles = 16

// gemmMinRowRunTiles is the shortest run of the row-split schedule, where
// every run packs all of B: long enough for the packing to stay a few
// percent of the run (one packed B float meets 2*mr flops per row tile).
const gemmMinRowRunTiles = 32

// gemmGuided selects guided runs (each claim takes half the remaining
// work's per-worker share, aligned to whole B panels while at least two
// per worker remain); otherwise runs have a fixed size.
var gemmGuided = true

// setSchedule sizes the dynamic schedule of the current block (nt A
// micro-panels) for the given number of workers.
func (g *gemmCall) setSchedule(nt, workers int) {
	g.workers = workers
	g.units = nt
	if g.splitN {
		g.units = nt * g.nTiles
		g.minRun = gemmMinChunkTiles
	} else {
		g.minRun = max(1, gemmMinRowRunTiles/g.nTiles)
	}
	runs := gemmChunksPerWorker * workers
	g.chunk = max((g.units+runs-1)/runs, g.minRun)
	g.next.Store(0)
}

// claim takes the next run [lo, hi) of the current block; ok is false when
// none is left.
func (g *gemmCall) claim(nt int) (lo, hi int, ok bool) {
	if !gemmGuided {
		lo = int(g.next.Add(int64(g.chunk))) - g.chunk
		return lo, min(lo+g.chunk, g.units), lo < g.units
	}
	for {
		cur := g.next.Load()
		lo = int(cur)
		rem := g.units - lo
		if rem <= 0 {
			return 0, 0, false
		}
		hi = lo + max(g.minRun, (rem+2*g.workers-1)/(2*g.workers))
		if g.splitN && rem >= 2*g.workers*nt {
			hi = (hi + nt - 1) / nt * nt // whole B panels: none packed twice
		}
		hi = min(hi, g.units)
		if g.next.CompareAndSwap(cur, int64(hi)) {
			return lo, hi, true
		}
	}
}

// claimUnits is the body every worker runs: claim runs until none is left.
// Its arguments (the worker's static share) are ignored.
func (g *gemmCall) claimUnits(_, _ int) {
	nt := len(g.ap) / (g.ar.mr * g.slots())
	for {
		lo, hi, ok := g.claim(nt)
		if !ok {
			return
		}
		if !g.splitN {
			g.computeRange(lo, hi)
			continue
		}
		// Column-major run: at most three rectangles (partial first
		// column, whole columns, partial last column).
		j0, t0 := lo/nt, lo%nt
		j1, t1 := hi/nt, hi%nt // exclusive end: column j1 up to row t1
		if j0 == j1 {
			g.macro(t0, t1, j0, j0+1)
			continue
		}
		if t0 > 0 {
			g.macro(t0, nt, j0, j0+1)
			j0++
		}
		if j1 > j0 {
			g.macro(0, nt, j0, j1)
		}
		if t1 > 0 {
			g.macro(0, t1, j1, j1+1)
		}
	}
}

// macro computes the tiles of A micro-panels [tlo, thi) and B micro-panels
// [jlo, jhi) of the current block.
func (g *gemmCall) macro(tlo, thi, jlo, jhi int) {
	gemmMacro(g.ar, g.ap, g.t0, tlo, thi, jlo, jhi, g.m, g.n, g.kl, g.p0, g.alpha, g.bs, g.beta, g.c, g.ldc)
}

// slots is the packed length per row/column of the current depth block.
func (g *gemmCall) slots() int {
	if g.ar.pairs {
		return (g.kl + 1) / 2
	}
	return g.kl
}

// sgemmBlocked runs the blocked algorithm with arch's micro-kernel. The
// arguments must already be validated by checkGemm.
func sgemmBlocked(ar *gemmArch, transA bool, m, n, k int, alpha float32, a []float32, lda int, bs bSource, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	mr, nr := ar.mr, ar.nr
	// Balanced block sizes: split k and m into equal-ish blocks.
	nkb := (k + ar.kc - 1) / ar.kc
	kc := (k + nkb - 1) / nkb
	if ar.pairs {
		kc += kc % 2 // whole pairs in every block but the last
	}
	mTiles := (m + mr - 1) / mr
	nTiles := (n + nr - 1) / nr
	maxMT := ar.mb / mr
	nmb := (mTiles + maxMT - 1) / maxMT
	mtPerBlock := (mTiles + nmb - 1) / nmb

	workers := Workers()
	// Inside a pool task (a row-split part, a Linear backward task) the
	// pool runs everything on this core anyway: take the serial schedule.
	parallel := workers > 1 && !inPool() && float64(m)*float64(n)*float64(k)*2 >= gemmFlopsSerial
	if parallel && gemmRowSplit && !gemmStaticSplit && m >= gemmRowSplitRows*workers {
		sgemmRowSplit(ar, transA, m, n, k, alpha, a, lda, bs, beta, c, ldc, workers)
		return
	}

	abuf := getBuf(min(mTiles, mtPerBlock) * mr * kc) // >= slots of a pairs path
	g := gemmCallPool.Get().(*gemmCall)
	g.ar, g.transA, g.m, g.n, g.k, g.alpha = ar, transA, m, n, k, alpha
	g.a, g.lda, g.bs, g.c, g.ldc = a, lda, bs, c, ldc
	g.nTiles = nTiles
	g.splitN = nTiles >= 2*workers || nTiles >= mtPerBlock
	for p0 := 0; p0 < k; p0 += kc {
		g.p0, g.kl = p0, min(kc, k-p0)
		g.beta = beta
		if p0 > 0 {
			g.beta = 1
		}
		ks := g.slots()
		for t0 := 0; t0 < mTiles; t0 += mtPerBlock {
			nt := min(mtPerBlock, mTiles-t0)
			g.t0 = t0
			g.ap = abuf.s[:nt*mr*ks]
			if parallel && !gemmStaticSplit {
				ParallelFor(nt, 1, g.packFn)
				g.setSchedule(nt, workers)
				ParallelFor(workers, 1, g.claimFn)
			} else if parallel {
				ParallelFor(nt, 1, g.packFn)
				work := nt
				if g.splitN {
					work = nTiles
				}
				ParallelFor(work, 1, g.computeFn)
			} else if gemmFuseGroup > 0 && g.nTiles*nr <= ar.nb {
				g.computeFused(nt)
			} else {
				g.packFn(0, nt)
				work := nt
				if g.splitN {
					work = nTiles
				}
				g.computeFn(0, work)
			}
		}
	}
	g.a, g.c, g.bs, g.ap = nil, nil, bSource{}, nil
	gemmCallPool.Put(g)
	putBuf(abuf)
}

// gemmMacro computes, for one depth block, the C tiles of A micro-panels
// [tlo, thi) (relative to block t0) and B micro-panels [jlo, jhi).
func gemmMacro(ar *gemmArch, ap []float32, t0, tlo, thi, jlo, jhi, m, n, kl, p0 int, alpha float32, bs bSource, beta float32, c []float32, ldc int) {
	nr := ar.nr
	nbT := ar.nb / nr
	ks := kl
	if ar.pairs {
		ks = (kl + 1) / 2
	}
	bbuf := getBuf(min(nbT, jhi-jlo) * nr * ks)
	tmp := getBuf(ar.mr * nr)
	defer putBuf(bbuf)
	defer putBuf(tmp)
	for j0 := jlo; j0 < jhi; j0 += nbT {
		nj := min(nbT, jhi-j0)
		bp := bbuf.s[:nj*nr*ks]
		packBBlock(ar, bp, bs, n, j0, nj, p0, kl)
		gemmTiles(ar, ap, bp, t0, tlo, thi, j0, nj, m, n, ks, alpha, beta, c, ldc, tmp.s)
	}
}

// packBBlock packs B micro-panels [j0, j0+nj) of depth [p0, p0+kl) into bp.
func packBBlock(ar *gemmArch, bp []float32, bs bSource, n, j0, nj, p0, kl int) {
	nr := ar.nr
	ks := len(bp) / (nj * nr)
	for j := 0; j < nj; j++ {
		col := (j0 + j) * nr
		if ar.pairs {
			packBPanelPairs(bp[j*nr*ks:(j+1)*nr*ks], bs, ar.pack, n, col, nr, p0, kl)
		} else {
			w, _ := ar.panelKernel(min(nr, n-col)) // a narrow last panel packs narrow
			packBPanel(bp[j*nr*ks:(j*nr+w)*ks], bs, ar.pack, n, col, w, p0, kl)
		}
	}
}

// gemmTiles runs the micro-kernels on A micro-panels [tlo, thi) of ap
// (panel t at ap[t*mr*ks], C rows from (t0+t)*mr) against the nj packed
// B micro-panels bp (C columns from j0*nr); tmp holds an edge tile.
func gemmTiles(ar *gemmArch, ap, bp []float32, t0, tlo, thi, j0, nj, m, n, ks int, alpha, beta float32, c []float32, ldc int, tmp []float32) {
	mr, nr := ar.mr, ar.nr
	for t := tlo; t < thi; t++ {
		i := (t0 + t) * mr
		rows := min(mr, m-i)
		apanel := &ap[t*mr*ks]
		for j := 0; j < nj; j++ {
			col := (j0 + j) * nr
			cols := min(nr, n-col)
			bpanel := &bp[j*nr*ks]
			w, kern := ar.panelKernel(cols)
			if rows == mr && cols == w {
				kern(ks, apanel, bpanel, &c[i*ldc+col], ldc, alpha, beta)
				continue
			}
			kern(ks, apanel, bpanel, &tmp[0], nr, alpha, 0)
			for r := 0; r < rows; r++ {
				dst := c[(i+r)*ldc+col : (i+r)*ldc+col+cols]
				src := tmp[r*nr : r*nr+cols]
				if beta == 0 {
					copy(dst, src)
				} else {
					for x := range dst {
						dst[x] = src[x] + beta*dst[x]
					}
				}
			}
		}
	}
}

// computeFused is the single-core schedule of a depth block when all of
// B fits one packed block (nTiles*nr <= nb): B is packed once, then A is
// packed gemmFuseGroup micro-panels at a time into a small buffer that
// stays in L2 and is used at once, instead of first packing the whole A
// block (megabytes, written to and read back from L3). The tiles and
// their sums are the same as in the packed-first schedule.
func (g *gemmCall) computeFused(nt int) {
	ar := g.ar
	mr, nr, ks := ar.mr, ar.nr, g.slots()
	bbuf := getBuf(g.nTiles * nr * ks)
	abuf := getBuf(gemmFuseGroup * mr * ks)
	tmp := getBuf(mr * nr)
	bp := bbuf.s[:g.nTiles*nr*ks]
	packBBlock(ar, bp, g.bs, g.n, 0, g.nTiles, g.p0, g.kl)
	t0, ap := g.t0, g.ap
	for lo := 0; lo < nt; lo += gemmFuseGroup {
		np := min(gemmFuseGroup, nt-lo)
		g.t0, g.ap = t0+lo, abuf.s[:np*mr*ks]
		g.packRange(0, np)
		gemmTiles(ar, g.ap, bp, g.t0, 0, np, 0, g.nTiles, g.m, g.n, ks, g.alpha, g.beta, g.c, g.ldc, tmp.s)
	}
	g.t0, g.ap = t0, ap
	putBuf(tmp)
	putBuf(abuf)
	putBuf(bbuf)
}

// gemmFuseGroup is the number of A micro-panels computeFused packs at a
// time (0 disables computeFused; the benchmarks compare).
var gemmFuseGroup = 8

// Tall problems (m >= gemmRowSplitRows per worker) are cut into row
// ranges, each an independent single-threaded blocked GEMM run as a
// kernels task (ParallelTasks): a core packs its own A and B panels and
// never waits for the other between depth blocks. B is packed once per
// range (a packed B float meets 2 flops per row of the range), so ranges
// stay tall: 2 per worker (claimed as cores free up) when each still has
// gemmRowSplitRows*2 rows, else 1 per worker. Short problems such as a
// 512-token prefill, where packing the weights is a large share, keep the
// shared schedule, which packs each B panel once.
const gemmRowSplitRows = 512

// gemmRowSplit enables the row split (the benchmarks compare without it).
var gemmRowSplit = true

// rowSplit is one row-split call; run is bound once (no allocation).
type rowSplit struct {
	ar          *gemmArch
	transA      bool
	m, n, k     int
	alpha, beta float32
	a           []float32
	lda         int
	bs          bSource
	c           []float32
	ldc, step   int
	run         func(i int)
}

// rowSplitFree recycles call states (a channel: see taskRunFree).
var rowSplitFree = make(chan *rowSplit, 8)

func (r *rowSplit) part(i int) {
	r0 := i * r.step
	r1 := min(r.m, r0+r.step)
	if r0 >= r1 {
		return
	}
	aOff := r0 * r.lda
	if r.transA {
		aOff = r0
	}
	sgemmBlocked(r.ar, r.transA, r1-r0, r.n, r.k, r.alpha, r.a[aOff:], r.lda, r.bs, r.beta, r.c[r0*r.ldc:], r.ldc)
}

func sgemmRowSplit(ar *gemmArch, transA bool, m, n, k int, alpha float32, a []float32, lda int, bs bSource, beta float32, c []float32, ldc, workers int) {
	parts := workers
	if m >= 2*gemmRowSplitRows*2*workers {
		parts = 2 * workers
	}
	step := (m + parts - 1) / parts
	step = (step + ar.mr - 1) / ar.mr * ar.mr
	var r *rowSplit
	select {
	case r = <-rowSplitFree:
	default:
		r = new(rowSplit)
		r.run = r.part
	}
	r.ar, r.transA, r.m, r.n, r.k, r.alpha, r.beta = ar, transA, m, n, k, alpha, beta
	r.a, r.lda, r.bs, r.c, r.ldc, r.step = a, lda, bs, c, ldc, step
	ParallelTasks(parts, r.run)
	r.a, r.c, r.bs = nil, nil, bSource{}
	select {
	case rowSplitFree <- r:
	default:
	}
}
