package llama

import (
	"fmt"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// BenchmarkColdGEMV is the decode-step matrix-vector product (Matrix.MulT
// with one row, bf16 weights) on weights that come from DRAM, as in decoding
// any model larger than the L3 cache: it cycles through 256 MiB of copies of
// the matrix. It reports the weight bandwidth, in wall and CPU time. Rows of
// 512 (the 30m preset) against rows of 2048/8192 (Llama-3.2-1B) show how
// the row length affects the streaming rate.
func BenchmarkColdGEMV(b *testing.B) {
	shapes := [][2]int{{768, 512}, {2752, 512}, {8192, 512}, {3072, 2048}, {16384, 2048}, {2048, 8192}}
	for _, s := range shapes {
		n, k := s[0], s[1]
		b.Run(fmt.Sprintf("bf16/n=%d,k=%d", n, k), func(b *testing.B) {
			copies := max(2, (256<<20)/(2*n*k))
			ws := make([]Matrix, copies)
			for c := range ws {
				u := newU16Weights(n * k) // huge pages, as model weights
				for i := range u {
					u[i] = 0x3f80 + uint16((i+c)%7) // 1.0 .. 1.05 in bf16
				}
				ws[c] = Matrix{Rows: n, Cols: k, DType: tensor.BF16, U16: u}
			}
			x := make([]float32, k)
			for i := range x {
				x[i] = 0.01 * float32(i%13)
			}
			y := make([]float32, n)
			b.ResetTimer()
			cpu := startCPU()
			for i := range b.N {
				ws[i%copies].MulT(1, x, 0, y, false)
			}
			bytes := float64(2 * n * k)
			cpu.report(b, bytes/1e9, "GB")
			b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
