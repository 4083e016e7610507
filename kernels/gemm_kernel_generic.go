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
