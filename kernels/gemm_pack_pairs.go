package kernels

import "unsafe"

// Packing for the bf16 dot-product kernels: every slot is a dword holding
// two bf16 values of consecutive depth steps (even step in the low half,
// zero past the end of the block). A is rounded to bf16 (nearest even).

func asU32(s []float32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
}

// packAPanelPairs packs rows [i0, i0+mr), depth [p0, p0+kl) of op(A) as
// bf16 pairs: dst[pp*mr+r] (len mr*ceil(kl/2)). pk, when non-nil,
// transposes full panels after a row-wise bf16 conversion.
func packAPanelPairs(dst []float32, pk *packKernels, transA bool, a []float32, lda, m, i0, mr, p0, kl int) {
	ks := (kl + 1) / 2
	d := asU32(dst[:mr*ks])
	rows := min(mr, m-i0)
	if !transA && pk != nil && rows == mr && mr%8 == 0 && ks >= 8 {
		// A row converted to bf16 is already a row of pair dwords:
		// convert the mr rows, then transpose the dwords.
		tb := getBuf(mr * ks)
		defer putBuf(tb)
		t16 := unsafe.Slice((*uint16)(unsafe.Pointer(&tb.s[0])), 2*mr*ks)
		for r := 0; r < mr; r++ {
			row := t16[2*r*ks : 2*(r+1)*ks]
			F32ToBF16(row[:kl], a[(i0+r)*lda+p0:(i0+r)*lda+p0+kl])
			if kl%2 == 1 {
				row[kl] = 0
			}
		}
		q0 := ks &^ 7
		pk.trans[0](&dst[0], mr, unsafe.Pointer(&tb.s[0]), ks, q0)
		t32 := asU32(tb.s)
		for r := 0; r < mr; r++ {
			for pp := q0; pp < ks; pp++ {
				d[pp*mr+r] = t32[r*ks+pp]
			}
		}
		return
	}
	if transA {
		for pp := 0; pp < ks; pp++ {
			p := p0 + 2*pp
			lo := a[p*lda+i0 : p*lda+i0+rows]
			var hi []float32
			if 2*pp+1 < kl {
				hi = a[(p+1)*lda+i0 : (p+1)*lda+i0+rows]
			}
			out := d[pp*mr : pp*mr+mr]
			for r := range lo {
				v := uint32(BF16FromF32(lo[r]))
				if hi != nil {
					v |= uint32(BF16FromF32(hi[r])) << 16
				}
				out[r] = v
			}
			clear(out[rows:])
		}
		return
	}
	for r := 0; r < rows; r++ {
		src := a[(i0+r)*lda+p0 : (i0+r)*lda+p0+kl]
		for pp := 0; pp < kl/2; pp++ {
			d[pp*mr+r] = uint32(BF16FromF32(src[2*pp])) | uint32(BF16FromF32(src[2*pp+1]))<<16
		}
		if kl%2 == 1 {
			d[(ks-1)*mr+r] = uint32(BF16FromF32(src[kl-1]))
		}
	}
	for pp := 0; pp < ks && rows < mr; pp++ {
		clear(d[pp*mr+rows : pp*mr+mr])
	}
}

// packBPanelPairs packs columns [j0, j0+nr), depth [p0, p0+kl) of op(B)
// (bf16) as pairs: dst[pp*nr+c] (len nr*ceil(kl/2)).
func packBPanelPairs(dst []float32, bs bSource, pk *packKernels, n, j0, nr, p0, kl int) {
	ks := (kl + 1) / 2
	d := asU32(dst[:nr*ks])
	cols := min(nr, n-j0)
	ld := bs.ld
	b := bs.h
	if !bs.trans {
		for pp := 0; pp < ks; pp++ {
			p := p0 + 2*pp
			lo := b[p*ld+j0 : p*ld+j0+cols]
			out := d[pp*nr : pp*nr+nr]
			if 2*pp+1 < kl {
				hi := b[(p+1)*ld+j0 : (p+1)*ld+j0+cols]
				for c := range lo {
					out[c] = uint32(lo[c]) | uint32(hi[c])<<16
				}
			} else {
				for c := range lo {
					out[c] = uint32(lo[c])
				}
			}
			clear(out[cols:])
		}
		return
	}
	// B stored n×k: a pair is two adjacent uint16 of a row, i.e. one
	// dword; with an even ld the 32-bit transposing packer applies.
	q0 := 0
	if pk != nil && cols == nr && nr%8 == 0 && ld%2 == 0 && kl >= 16 {
		q0 = (kl / 2) &^ 7
		pk.trans[0](&dst[0], nr, unsafe.Pointer(&b[j0*ld+p0]), ld/2, q0)
	}
	for c := 0; c < cols; c++ {
		row := b[(j0+c)*ld+p0 : (j0+c)*ld+p0+kl]
		for pp := q0; pp < kl/2; pp++ {
			d[pp*nr+c] = uint32(row[2*pp]) | uint32(row[2*pp+1])<<16
		}
		if kl%2 == 1 {
			d[(ks-1)*nr+c] = uint32(row[kl-1])
		}
	}
	if cols < nr {
		for pp := 0; pp < ks; pp++ {
			clear(d[pp*nr+cols : pp*nr+nr])
		}
	}
}
