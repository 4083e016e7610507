package llama

import (
	"testing"

	"github.com/popi-go/popi/tensor"
)

// BenchmarkScore measures scoring 8 continuations of 64 tokens after a
// 32-token prompt (Runner.Score: one prefill, one batched pass with every
// logit row, a float64 log-sum-exp per row). The "5m-v128k" shape is the
// 5m preset with the Llama-3 vocabulary (128256), where the per-row
// log-sum-exp over the vocabulary is a large share of the work.
func BenchmarkScore(b *testing.B) {
	for _, shape := range []string{"5m", "5m-v128k"} {
		b.Run(shape, func(b *testing.B) {
			cfg := presetConfig("5m")
			if shape == "5m-v128k" {
				cfg.Vocab = 128256
			}
			m, err := NewRandomAs(cfg, 1, tensor.F32)
			if err != nil {
				b.Fatal(err)
			}
			r := m.NewRunner()
			prompt := make([]int, 32)
			for i := range prompt {
				prompt[i] = (i*7919 + 3) % cfg.Vocab
			}
			conts := make([][]int, 8)
			for i := range conts {
				conts[i] = make([]int, 64)
				for j := range conts[i] {
					conts[i][j] = (i*104729 + j*7919 + 11) % cfg.Vocab
				}
			}
			tokens := 0
			for _, c := range conts {
				tokens += len(c)
			}
			b.ResetTimer()
			cpu := startCPU()
			for range b.N {
				if _, err := r.Score(prompt, conts); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b, float64(tokens), "tokens")
			b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
