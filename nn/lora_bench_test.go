package nn

import (
	"fmt"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// BenchmarkLinearLoRA measures the adapter's overhead on one stacked
// projection of Llama-3.2-1B's shape (x [rows, 2048], frozen bf16 Q|K|V
// [2048+512+512, 2048] in one buffer): forward and backward (dx through the
// frozen weights, dA, dB) of LinearLoRA with rank-16 adapters on all three
// parts, against the same frozen projection without adapters (dx only).
func BenchmarkLinearLoRA(b *testing.B) {
	const in = 2048
	outs := []int{2048, 512, 512}
	total := 0
	for _, o := range outs {
		total += o
	}
	raw := tensor.RandN(1, 0.02, total, in).To(tensor.BF16).U16()
	var ws []*Value
	off := 0
	for _, o := range outs {
		ws = append(ws, Const(tensor.FromU16(tensor.BF16, raw[off:off+o*in], o, in)))
		off += o * in
	}
	for _, rows := range []int{1, 512, 2048} {
		for _, r := range []int{0, 16, 64} {
			b.Run(fmt.Sprintf("rows%d/r%d", rows, r), func(b *testing.B) {
				var loras []*LoRA
				var params []*Value
				if r > 0 {
					for i, o := range outs {
						l := &LoRA{A: Param(tensor.RandN(uint64(2+i), 0.02, r, in)), B: Param(tensor.RandN(uint64(5+i), 0.02, o, r)), Scale: 2}
						loras = append(loras, l)
						params = append(params, l.A, l.B)
					}
				}
				x := Param(tensor.RandN(9, 1, rows, in))
				seed := make([]float32, rows*total)
				for i := range seed {
					seed[i] = 1e-3
				}
				b.ResetTimer()
				for range b.N {
					var y *Value
					if r > 0 {
						y = LinearLoRA(x, ws, loras)
					} else {
						y = LinearStack(x, ws...)
					}
					if err := y.BackwardWith(seed); err != nil {
						b.Fatal(err)
					}
					x.ZeroGrad()
					ZeroGrads(params)
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/op")
			})
		}
	}
}
