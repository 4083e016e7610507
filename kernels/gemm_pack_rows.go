package kernels

// copyRuns copies kl runs of w floats: dst[p*w : p*w+w] = src[p*ld : p*ld+w].
// This is the packing of an operand whose panel rows are contiguous in
// storage (A stored k×m, B stored k×n). The widths of the micro-kernels
// get fixed-size array copies, which compile to a few vector moves instead
// of a memmove call per run (that call dominated for 8-float runs).
//
// fast selects copyRunsAsm (the assembly paths pass true, so the generic
// path keeps this Go code as the twin).
func copyRuns(dst, src []float32, w, ld, kl int, fast bool) {
	if kl <= 0 {
		return
	}
	_ = dst[(kl-1)*w+w-1]
	_ = src[(kl-1)*ld+w-1]
	if fast && copyRunsAsm != nil && w%8 == 0 && w > 0 {
		copyRunsAsm(&dst[0], &src[0], w, ld, kl)
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

// copyRunsAsm is the architecture's copyRuns for widths that are
// multiples of 8 (nil: none).
var copyRunsAsm func(dst, src *float32, w, ld, kl int)
