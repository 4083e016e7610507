package kernels

import "unsafe"

// Edge micro-kernels. When n is not a multiple of the path's nr, the last
// B panel is narrow: with nr = 48 and n = 256 (the hidden size of small
// models), 16 of its 48 columns are real, so the full kernel spends 1/9 of
// the whole GEMM on zero padding. A path may list narrower kernels (same
// mr, widths ascending, each below nr); the driver packs the last panel at
// the smallest width that holds its columns and runs that kernel on it.

// edgeKernel is a micro-kernel of the path's mr rows and nr columns.
type edgeKernel struct {
	nr   int
	kern microKernel
}

// panelKernel returns the width and kernel for a B panel of cols real
// columns: the narrowest edge kernel that holds them, else the full one.
func (ar *gemmArch) panelKernel(cols int) (int, microKernel) {
	if cols < ar.nr {
		for _, e := range ar.edges {
			if cols <= e.nr {
				return e.nr, e.kern
			}
		}
	}
	return ar.nr, ar.kern
}

// f32KernelGeneric returns the Go twin of an f32 micro-kernel with an
// mr×nr tile (the reference the assembly edge kernels are tested against).
func f32KernelGeneric(mr, nr int) microKernel {
	return func(k int, a, b, c *float32, ldc int, alpha, beta float32) {
		ap := unsafe.Slice(a, mr*k)
		bp := unsafe.Slice(b, nr*k)
		acc := make([]float32, mr*nr)
		for p := 0; p < k; p++ {
			for r := 0; r < mr; r++ {
				x := ap[p*mr+r]
				row := acc[r*nr : (r+1)*nr]
				for j, v := range bp[p*nr : (p+1)*nr] {
					row[j] += x * v
				}
			}
		}
		cs := unsafe.Slice(c, (mr-1)*ldc+nr)
		for r := 0; r < mr; r++ {
			dst := cs[r*ldc : r*ldc+nr]
			for j := range dst {
				if beta == 0 {
					dst[j] = alpha * acc[r*nr+j]
				} else {
					dst[j] = alpha*acc[r*nr+j] + beta*dst[j]
				}
			}
		}
	}
}
