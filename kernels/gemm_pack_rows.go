package kernels

// copyRuns copies kl runs of w floats: dst[p*w : p*w+w] = src[p*ld : p*ld+w].
// This is the packing of an operand whose panel rows are contiguous in
// storage (A stored k×m, B stored k×n). The widths of the micro-kernels
// get fixed-size array copies, which compile to a few vector moves instead
// of a memmove call per run (that call dominated for 8-float runs).
//
// pk, when non-nil, supplies the path's assembly copier (the generic path
// passes nil and keeps this Go code as the twin).
func copyRuns(dst, src []float32, w, ld, kl int, pk *packKernels) {
	if kl <= 0 {
		return
	}
	_ = dst[(kl-1)*w+w-1]
	_ = src[(kl-1)*ld+w-1]
	if pk != nil && pk.runs != nil && w%8 == 0 && w > 0 {
		pk.runs(&dst[0], &src[0], w, ld, kl)
		return
	}
	switch w {
	case 8:
		for p := 0; p < kl; p++ {
			*(*[8]float32)(dst[p*8:]) = *(*[8]float32)(src[p*ld:])
		}
	case 16:
		for p := 0; p < kl; p++ {
			*(*[16]float32)(dst[p*16:]) = *(*[16]float32)(src[p*ld:])
		}
	case 48:
		for p := 0; p < kl; p++ {
			*(*[48]float32)(dst[p*48:]) = *(*[48]float32)(src[p*ld:])
		}
	default:
		for p := 0; p < kl; p++ {
			copy(dst[p*w:p*w+w], src[p*ld:p*ld+w])
		}
	}
}

// copyRunsPanels packs np adjacent runs of every row at once: for p < kl
// and g < np, dst[g*pstride+p*w : +w] = src[p*ld+g*w : +w]. This is the
// packing of np consecutive micro-panels of an operand stored k×m (A of
// a weight gradient, dyᵀ·x, stored tokens × features): one pass reads
// np*w contiguous floats per row (whole cache lines) instead of w floats
// at a large stride per panel, where the other half of each line was
// evicted (rows ld*4 bytes apart share a few cache sets) before the next
// panel's pass came back for it.
//
// pk, when non-nil, supplies the path's assembly copier for w == 8 (the
// generic path passes nil and keeps the Go loops as the twin).
func copyRunsPanels(dst, src []float32, w, ld, kl, np, pstride int, pk *packKernels) {
	if kl <= 0 || np <= 0 {
		return
	}
	_ = dst[(np-1)*pstride+(kl-1)*w+w-1]
	_ = src[(kl-1)*ld+np*w-1]
	if pk != nil && pk.runsPanels8 != nil && w == 8 {
		pk.runsPanels8(&dst[0], &src[0], ld, kl, np, pstride)
		return
	}
	for p := 0; p < kl; p++ {
		row := src[p*ld : p*ld+np*w]
		d := dst[p*w:]
		switch w {
		case 4: // 16-byte array moves are inlined (larger ones call memmove)
			for g := 0; g < np; g++ {
				*(*[4]float32)(d[g*pstride:]) = *(*[4]float32)(row[g*4:])
			}
		case 8:
			for g := 0; g < np; g++ {
				*(*[4]float32)(d[g*pstride:]) = *(*[4]float32)(row[g*8:])
				*(*[4]float32)(d[g*pstride+4:]) = *(*[4]float32)(row[g*8+4:])
			}
		default:
			for g := 0; g < np; g++ {
				copy(d[g*pstride:g*pstride+w], row[g*w:g*w+w])
			}
		}
	}
}
