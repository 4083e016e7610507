package kernels

import (
	"sync"
	"unsafe"
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
	packT  *[3]packTransFunc // transposing B packer, nil: Go loops
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

// f32Buf is a reusable float32 buffer, 64-byte aligned.
type f32Buf struct{ raw, s []float32 }

var bufPool sync.Pool

// getBuf returns a buffer of at least n float32s, aligned to 64 bytes.
func getBuf(n int) *f32Buf {
	var b *f32Buf
	if v := bufPool.Get(); v != nil {
		b = v.(*f32Buf)
	} else {
		b = new(f32Buf)
	}
	if cap(b.raw) < n+16 {
		b.raw = make([]float32, n+16)
	}
	off := 0
	if r := uintptr(unsafe.Pointer(&b.raw[0])) & 63; r != 0 {
		off = int(64-r) / 4
	}
	b.s = b.raw[off : off+n]
	return b
}

func putBuf(b *f32Buf) { bufPool.Put(b) }

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
	parallel := workers > 1 && float64(m)*float64(n)*float64(k)*2 >= gemmFlopsSerial
	splitN := nTiles >= 2*workers || nTiles >= mtPerBlock

	abuf := getBuf(min(mTiles, mtPerBlock) * mr * kc) // >= slots of a pairs path
	defer putBuf(abuf)

	for p0 := 0; p0 < k; p0 += kc {
		kl := min(kc, k-p0)
		betaEff := beta
		if p0 > 0 {
			betaEff = 1
		}
		ks := kl // packed slots per row/column
		if ar.pairs {
			ks = (kl + 1) / 2
		}
		for t0 := 0; t0 < mTiles; t0 += mtPerBlock {
			nt := min(mtPerBlock, mTiles-t0)
			ap := abuf.s[:nt*mr*ks]
			packA := func(lo, hi int) {
				for t := lo; t < hi; t++ {
					if ar.pairs {
						packAPanelPairs(ap[t*mr*ks:(t+1)*mr*ks], transA, a, lda, m, (t0+t)*mr, mr, p0, kl)
					} else {
						packAPanel(ap[t*mr*ks:(t+1)*mr*ks], ar.packT, transA, a, lda, m, (t0+t)*mr, mr, p0, kl)
					}
				}
			}
			compute := func(lo, hi int) {
				if splitN {
					gemmMacro(ar, ap, t0, 0, nt, lo, hi, m, n, kl, p0, alpha, bs, betaEff, c, ldc)
				} else {
					gemmMacro(ar, ap, t0, lo, hi, 0, nTiles, m, n, kl, p0, alpha, bs, betaEff, c, ldc)
				}
			}
			work := nt
			if splitN {
				work = nTiles
			}
			if parallel {
				ParallelFor(nt, 1, packA)
				ParallelFor(work, 1, compute)
			} else {
				packA(0, nt)
				compute(0, work)
			}
		}
	}
}

// gemmMacro computes, for one depth block, the C tiles of A micro-panels
// [tlo, thi) (relative to block t0) and B micro-panels [jlo, jhi).
func gemmMacro(ar *gemmArch, ap []float32, t0, tlo, thi, jlo, jhi, m, n, kl, p0 int, alpha float32, bs bSource, beta float32, c []float32, ldc int) {
	mr, nr := ar.mr, ar.nr
	nbT := ar.nb / nr
	ks := kl
	if ar.pairs {
		ks = (kl + 1) / 2
	}
	bbuf := getBuf(min(nbT, jhi-jlo) * nr * ks)
	tmp := getBuf(mr * nr)
	defer putBuf(bbuf)
	defer putBuf(tmp)
	for j0 := jlo; j0 < jhi; j0 += nbT {
		nj := min(nbT, jhi-j0)
		bp := bbuf.s[:nj*nr*ks]
		for j := 0; j < nj; j++ {
			if ar.pairs {
				packBPanelPairs(bp[j*nr*ks:(j+1)*nr*ks], bs, ar.packT, n, (j0+j)*nr, nr, p0, kl)
			} else {
				packBPanel(bp[j*nr*ks:(j+1)*nr*ks], bs, ar.packT, n, (j0+j)*nr, nr, p0, kl)
			}
		}
		for t := tlo; t < thi; t++ {
			i := (t0 + t) * mr
			rows := min(mr, m-i)
			apanel := &ap[t*mr*ks]
			for j := 0; j < nj; j++ {
				col := (j0 + j) * nr
				cols := min(nr, n-col)
				bpanel := &bp[j*nr*ks]
				if rows == mr && cols == nr {
					ar.kern(ks, apanel, bpanel, &c[i*ldc+col], ldc, alpha, beta)
					continue
				}
				ar.kern(ks, apanel, bpanel, &tmp.s[0], nr, alpha, 0)
				for r := 0; r < rows; r++ {
					dst := c[(i+r)*ldc+col : (i+r)*ldc+col+cols]
					src := tmp.s[r*nr : r*nr+cols]
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
}
