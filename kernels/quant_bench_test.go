package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkQGemv: decode-shaped QGemm (m = 1) over weights of every format that do not fit
// in cache (4 matrices of 8192x2048 values, used in turn), reporting GB/s of weights
// streamed, on the active path (POPI_KERNELS chooses another).
func BenchmarkQGemv(b *testing.B) {
	const n, k, mats = 8192, 2048, 4
	for _, qt := range weightQTypes {
		b.Run(qt.String(), func(b *testing.B) {
			r := newRand()
			row := quantized(qt, randWeights(r, k))
			ws := make([][]byte, mats)
			for i := range ws {
				ws[i] = make([]byte, n*len(row))
				for j := range n {
					copy(ws[i][j*len(row):], row)
				}
			}
			x := randWeights(r, k)
			y := make([]float32, n)
			b.SetBytes(int64(len(ws[0])))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				QGemm(qt, 1, n, k, x, k, ws[i%mats], 0, y, n, false)
			}
		})
	}
}

// BenchmarkQGemmPrefill: QGemm with m rows (the dequantized-panel path) on a
// [2048, 2048] weight, GFLOP/s.
func BenchmarkQGemmPrefill(b *testing.B) {
	const n, k = 2048, 2048
	for _, m := range []int{128, 512} {
		for _, qt := range []QType{Q8_0, Q4_K} {
			b.Run(fmt.Sprintf("%s/m=%d", qt, m), func(b *testing.B) {
				r := newRand()
				w := quantized(qt, randWeights(r, n*k))
				x := randWeights(r, m*k)
				y := make([]float32, m*n)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					QGemm(qt, m, n, k, x, k, w, 0, y, n, true)
				}
				b.ReportMetric(2*float64(m)*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
