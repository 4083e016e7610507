package kernels

import "unsafe"

// genericArch is the portable blocked path: a 4×8 micro-kernel in plain Go.
var genericArch = gemmArch{name: "generic", mr: 4, nr: 8, kc: 256, nb: 512, mb: 1024, kern: microKernel4x8Generic}

// microKernel4x8Generic is the Go twin of the assembly micro-kernels: the
// 4×8 tile C = alpha*A*B + beta*C over k packed steps.
func microKernel4x8Generic(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	ap := unsafe.Slice(a, 4*k)
	bp := unsafe.Slice(b, 8*k)
	var acc [4][8]float32
	for p := 0; p < k; p++ {
		av := ap[p*4 : p*4+4 : p*4+4]
		bv := bp[p*8 : p*8+8 : p*8+8]
		for r := 0; r < 4; r++ {
			x := av[r]
			row := &acc[r]
			for j := 0; j < 8; j++ {
				row[j] += x * bv[j]
			}
		}
	}
	cs := unsafe.Slice(c, 3*ldc+8)
	for r := 0; r < 4; r++ {
		dst := cs[r*ldc : r*ldc+8 : r*ldc+8]
		if beta == 0 {
			for j := range dst {
				dst[j] = alpha * acc[r][j]
			}
		} else {
			for j := range dst {
				dst[j] = alpha*acc[r][j] + beta*dst[j]
			}
		}
	}
}

// pairsKernelGeneric returns the Go twin of a bf16 dot-product micro-kernel
// (gemmArch.pairs) with an mr×nr tile: each slot of a and b is a dword of
// two bf16 values; the products of a pair are summed in f32.
func pairsKernelGeneric(mr, nr int) microKernel {
	return func(k int, a, b, c *float32, ldc int, alpha, beta float32) {
		ap := asU32(unsafe.Slice(a, mr*k))
		bp := asU32(unsafe.Slice(b, nr*k))
		acc := make([]float32, mr*nr)
		for p := 0; p < k; p++ {
			for r := 0; r < mr; r++ {
				av := ap[p*mr+r]
				a0, a1 := bf16At(uint16(av)), bf16At(uint16(av>>16))
				for j := 0; j < nr; j++ {
					bv := bp[p*nr+j]
					acc[r*nr+j] += a0*bf16At(uint16(bv)) + a1*bf16At(uint16(bv>>16))
				}
			}
		}
		cs := unsafe.Slice(c, (mr-1)*ldc+nr)
		for r := 0; r < mr; r++ {
			for j := 0; j < nr; j++ {
				if beta == 0 {
					cs[r*ldc+j] = alpha * acc[r*nr+j]
				} else {
					cs[r*ldc+j] = alpha*acc[r*nr+j] + beta*cs[r*ldc+j]
				}
			}
		}
	}
}
