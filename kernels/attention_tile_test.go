package kernels

import (
	"math"
	"testing"
)

// TestTileMulAdd checks the tile product used by the tiled attention
// (dispatched: assembly on SIMD paths) against float64 on every shape
// class the wrapper splits into (4-row and 1-row blocks, wide, one-vector
// and scalar columns), with strided operands and a guarded C.
func TestTileMulAdd(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, rows := range []int{0, 1, 3, 4, 5, 8, 9} {
			for _, cols := range []int{0, 1, 4, 7, 8, 15, 16, 17, 32, 33, 48, 64, 65, 80, 100, 130} {
				for _, k := range []int{0, 1, 2, 5, 64} {
					lda, ldb, ldc := k+3, cols+5, cols+2
					a := make([]float32, max(0, (rows-1)*lda+k))
					b := make([]float32, max(0, (k-1)*ldb+cols))
					randSlice(r, a, -1, 1)
					randSlice(r, b, -1, 1)
					cg := newGuard(max(0, (rows-1)*ldc+cols), 1)
					randSlice(r, cg.values, -1, 1)
					c0 := append([]float32(nil), cg.values...)
					kern.attnTile(cg.values, ldc, a, lda, b, ldb, rows, k, cols)
					for i := 0; i < rows; i++ {
						for j := 0; j < ldc && i*ldc+j < len(c0); j++ {
							want, abs := float64(c0[i*ldc+j]), math.Abs(float64(c0[i*ldc+j]))
							if j < cols {
								for q := 0; q < k; q++ {
									v := float64(a[i*lda+q]) * float64(b[q*ldb+j])
									want += v
									abs += math.Abs(v)
								}
							}
							if got := cg.values[i*ldc+j]; !near(got, want, 0, float64(k+2)*eps32*abs) {
								t.Fatalf("tile %dx%dx%d: C[%d,%d] = %v want %v", rows, k, cols, i, j, got, want)
							}
						}
					}
					cg.check(t, "tile C")
				}
			}
		}
	})
}

// TestTileMulAddT checks the transposed-A tile product (A stored k x rows)
// of every path against float64, over the same shape classes, strided,
// with a guarded C.
func TestTileMulAddT(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		tileT := kern.attnTileT
		for _, rows := range []int{0, 1, 3, 4, 5, 8, 9, 64} {
			for _, cols := range []int{0, 1, 4, 7, 8, 15, 16, 17, 32, 33, 48, 64, 65, 80, 100, 130} {
				for _, k := range []int{0, 1, 2, 5, 64} {
					lda, ldb, ldc := rows+3, cols+5, cols+2
					a := make([]float32, max(0, (k-1)*lda+rows))
					b := make([]float32, max(0, (k-1)*ldb+cols))
					randSlice(r, a, -1, 1)
					randSlice(r, b, -1, 1)
					cg := newGuard(max(0, (rows-1)*ldc+cols), 1)
					randSlice(r, cg.values, -1, 1)
					c0 := append([]float32(nil), cg.values...)
					tileT(cg.values, ldc, a, lda, b, ldb, rows, k, cols)
					for i := 0; i < rows; i++ {
						for j := 0; j < ldc && i*ldc+j < len(c0); j++ {
							want, abs := float64(c0[i*ldc+j]), math.Abs(float64(c0[i*ldc+j]))
							if j < cols {
								for q := 0; q < k; q++ {
									v := float64(a[q*lda+i]) * float64(b[q*ldb+j])
									want += v
									abs += math.Abs(v)
								}
							}
							if got := cg.values[i*ldc+j]; !near(got, want, 0, float64(k+2)*eps32*abs) {
								t.Fatalf("%s tileT %dx%dx%d: C[%d,%d] = %v want %v", p, rows, k, cols, i, j, got, want)
							}
						}
					}
					cg.check(t, "tileT C")
				}
			}
		}
	})
}
