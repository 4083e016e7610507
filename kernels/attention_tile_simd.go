//go:build (amd64 || arm64) && !purego

package kernels

// tileMulAddSIMD is tileMulAddGeneric on the assembly tile kernels: rows in
// groups of 4 (then 1), columns in wide blocks, then (where the path has
// them) one mid-width block, then single vectors, then a scalar tail.
func tileMulAddSIMD(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int) {
	checkTile(c, ldc, a, lda, b, ldb, rows, k, cols)
	if rows == 0 || cols == 0 || k == 0 {
		return
	}
	wide, mid, w := tileWide(), tileMid(), simdW
	for i := 0; i < rows; {
		nr := 1
		if rows-i >= 4 {
			nr = 4
		}
		j := 0
		for ; j+wide <= cols; j += wide {
			kTile(nr, true, &c[i*ldc+j], ldc, &a[i*lda], lda, &b[j], ldb, k)
		}
		if mid > 0 && j+mid <= cols {
			kTileMid(nr, &c[i*ldc+j], ldc, &a[i*lda], lda, &b[j], ldb, k)
			j += mid
		}
		for ; j+w <= cols; j += w {
			kTile(nr, false, &c[i*ldc+j], ldc, &a[i*lda], lda, &b[j], ldb, k)
		}
		for ; j < cols; j++ {
			for r := i; r < i+nr; r++ {
				s := c[r*ldc+j]
				for p := 0; p < k; p++ {
					s += a[r*lda+p] * b[p*ldb+j]
				}
				c[r*ldc+j] = s
			}
		}
		i += nr
	}
}

// rowScoresSIMD is rowScoresGeneric on the assembly score kernel (four keys
// per pass) when d is a multiple of the vector width.
func rowScoresSIMD(out, q, k []float32, kstride, nk, d int) {
	if nk <= 0 {
		return
	}
	if d <= 0 || d%simdW != 0 || kstride < d {
		rowScoresGeneric(out, q, k, kstride, nk, d)
		return
	}
	_, _, _ = out[nk-1], q[d-1], k[(nk-1)*kstride+d-1] // bounds, once
	kScores(&q[0], &k[0], kstride, nk, d, &out[0])
}
