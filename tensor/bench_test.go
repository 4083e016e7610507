package tensor

import "testing"

func benchMatMul(b *testing.B, a, w *Tensor) {
	m, k, n := a.Numel()/a.Dim(-1), a.Dim(-1), w.Dim(-1)
	for i := 0; i < b.N; i++ {
		MatMul(a, w)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkMatMulF32: [4, 256, 512] x [512, 1024] (batch folded into rows).
func BenchmarkMatMulF32(b *testing.B) {
	benchMatMul(b, RandN(1, 1, 4, 256, 512), RandN(2, 1, 512, 1024))
}

// BenchmarkMatMulTransposedView: a weight stored [1024, 512] used through
// its transposed view, as Linear layers are (no copy).
func BenchmarkMatMulTransposedView(b *testing.B) {
	benchMatMul(b, RandN(1, 1, 1024, 512), RandN(2, 1, 1024, 512).T())
}

// BenchmarkMatMulBF16: the same with a BF16 weight widened by SgemmHalf.
func BenchmarkMatMulBF16(b *testing.B) {
	benchMatMul(b, RandN(1, 1, 1024, 512), RandN(2, 1, 1024, 512).To(BF16).T())
}
