package kernels

import "unsafe"

// packTransFunc is an assembly transposing packer for B stored n×k:
// dst[p*nr+c] = src[c*ld+p] for c < nr, p < kl (nr, kl multiples of 8).
type packTransFunc func(dst *float32, nr int, src unsafe.Pointer, ld, kl int)

// packKernels are a path's assembly packers (gemmArch.pack; nil on paths
// that pack with the Go loops).
type packKernels struct {
	trans       [3]packTransFunc                                 // by element type (bSource.elemIndex)
	runs        func(dst, src *float32, w, ld, kl int)           // copyRuns, w a multiple of 8
	runsPanels8 func(dst, src *float32, ld, kl, np, pstride int) // copyRunsPanels, w == 8
}

// Packing of GEMM operands into the micro-kernel layouts: an A micro-panel
// holds mr values (one per row) for each depth step; a B micro-panel holds
// nr values (one per column) for each depth step. Rows/columns past the
// matrix are zero so the micro-kernel can always compute a full tile.

// packAPanel packs rows [i0, i0+mr) and depth [p0, p0+kl) of op(A) (op(A) is
// m×k) into dst (len mr*kl). pk, when non-nil, packs full panels.
func packAPanel(dst []float32, pk *packKernels, transA bool, a []float32, lda, m, i0, mr, p0, kl int) {
	rows := min(mr, m-i0)
	dst = dst[:mr*kl]
	if transA {
		// A stored k×m: row p of storage holds op(A)[:, p] contiguously.
		if rows == mr {
			copyRuns(dst, a[p0*lda+i0:], mr, lda, kl, pk)
			return
		}
		for p := 0; p < kl; p++ {
			d := dst[p*mr : p*mr+mr]
			copy(d, a[(p0+p)*lda+i0:(p0+p)*lda+i0+rows])
			clear(d[rows:])
		}
		return
	}
	q0 := 0
	if pk != nil && rows == mr && mr%8 == 0 && kl >= 8 {
		// A's rows play the role of B's stored columns.
		q0 = kl &^ 7
		pk.trans[0](&dst[0], mr, unsafe.Pointer(&a[i0*lda+p0]), lda, q0)
	}
	for r := 0; r < rows; r++ {
		src := a[(i0+r)*lda+p0+q0 : (i0+r)*lda+p0+kl]
		for p, v := range src {
			dst[(q0+p)*mr+r] = v
		}
	}
	if rows < mr {
		for p := 0; p < kl; p++ {
			clear(dst[p*mr+rows : p*mr+mr])
		}
	}
}

// packBPanel packs columns [j0, j0+nr) and depth [p0, p0+kl) of op(B)
// (op(B) is k×n) into dst (len nr*kl), widening 16-bit sources.
//
// pk, when non-nil, are the path's packers for full panels.
func packBPanel(dst []float32, bs bSource, pk *packKernels, n, j0, nr, p0, kl int) {
	cols := min(nr, n-j0)
	dst = dst[:nr*kl]
	ld := bs.ld
	if !bs.trans {
		// B stored k×n: each depth step is a contiguous run of columns.
		if !bs.half && cols == nr {
			copyRuns(dst, bs.f[p0*ld+j0:], nr, ld, kl, pk)
			return
		}
		for p := 0; p < kl; p++ {
			d := dst[p*nr : p*nr+cols]
			off := (p0+p)*ld + j0
			if !bs.half {
				copy(d, bs.f[off:off+cols])
			} else {
				widen(d, bs.h[off:off+cols], bs.kind)
			}
			clear(dst[p*nr+cols : p*nr+nr])
		}
		return
	}
	// B stored n×k: column j of op(B) is row j of storage. Transpose in
	// blocks of 16 depth steps so reads stay within a cache line per row.
	q0 := 0
	if pk != nil && cols == nr && nr%8 == 0 && kl >= 8 {
		q0 = kl &^ 7
		pk.trans[bs.elemIndex()](&dst[0], nr, bs.ptr(j0*ld+p0), ld, q0)
	}
	const pb = 16
	var wide []float32 // widened 16-bit run (pooled: widen's callee escapes it)
	if bs.half && q0 < kl {
		wb := getBuf(pb)
		defer putBuf(wb)
		wide = wb.s
	}
	for q := q0; q < kl; q += pb {
		ql := min(pb, kl-q)
		for c := 0; c < cols; c++ {
			off := (j0+c)*ld + p0 + q
			var src []float32
			if !bs.half {
				src = bs.f[off : off+ql]
			} else {
				src = wide[:ql]
				widen(src, bs.h[off:off+ql], bs.kind)
			}
			for p, v := range src {
				dst[(q+p)*nr+c] = v
			}
		}
	}
	if cols < nr {
		for p := 0; p < kl; p++ {
			clear(dst[p*nr+cols : p*nr+nr])
		}
	}
}

// widen converts 16-bit floats of format kind to float32 exactly (through
// the dispatching conversion kernels).
func widen(dst []float32, src []uint16, kind Half) {
	if kind == BF16 {
		BF16ToF32(dst, src)
		return
	}
	F16ToF32(dst, src)
}
