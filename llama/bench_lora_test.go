package llama

import (
	"fmt"
	"testing"

	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/tensor"
)

// BenchmarkTrainStepLoRA compares one training step (forward,
// cross-entropy, backward, AdamW) on BenchmarkTrainStep's workload (batch
// 8 x 256 tokens, the 5m and 30m shapes) with and without LoRA:
//   - full-f32: full fine-tuning of the f32 model (BenchmarkTrainStep);
//   - lora-r16-f32 / lora-r16-bf16: a rank-16 adapter on all seven
//     projections of a frozen f32 / bf16 base (AdamW state for the adapter
//     only; dx still flows through every frozen matrix).
//
// It reports ms/step and tokens/s.
func BenchmarkTrainStepLoRA(b *testing.B) {
	for _, shape := range []string{"5m", "30m"} {
		for _, variant := range []string{"full-f32", "lora-r16-f32", "lora-r16-bf16"} {
			b.Run(fmt.Sprintf("%s/%s", shape, variant), func(b *testing.B) {
				dt := tensor.F32
				if variant == "lora-r16-bf16" {
					dt = tensor.BF16
				}
				m := benchModel(b, shape, dt)
				if variant != "full-f32" {
					a, err := NewAdapter(m.Config, AdapterConfig{R: 16, Alpha: 32}, 1)
					if err != nil {
						b.Fatal(err)
					}
					if m, err = m.WithAdapter(a); err != nil {
						b.Fatal(err)
					}
				}
				tm := m.Trainable()
				opt := nn.NewAdamW(nn.AdamWConfig{Beta1: 0.9, Beta2: 0.95}, nn.SplitDecay(tm.Params(), 0.1)...)
				ids := make([][]int, trainBatch)
				for i := range ids {
					ids[i] = make([]int, trainSeq)
					for j := range ids[i] {
						ids[i][j] = (i*7919 + j*104729) % m.Config.Vocab
					}
				}
				runTrainSteps(b, tm, opt, ids)
			})
		}
	}
}

// BenchmarkDecodeLoRA measures batch-1 decoding (as BenchmarkDecode) of a
// bf16 base alone and with a LoRA adapter on all seven projections (two
// thin GEMVs per projection and token), ranks 16 and 64.
func BenchmarkDecodeLoRA(b *testing.B) {
	for _, shape := range []string{"1b", "30m"} {
		for _, r := range []int{0, 16, 64} {
			b.Run(fmt.Sprintf("%s/BF16/r%d", shape, r), func(b *testing.B) {
				m := benchModel(b, shape, tensor.BF16)
				if r > 0 {
					a, err := NewAdapter(m.Config, AdapterConfig{R: r, Alpha: float64(2 * r)}, 1)
					if err != nil {
						b.Fatal(err)
					}
					if m, err = m.WithAdapter(a); err != nil {
						b.Fatal(err)
					}
				}
				run := m.NewRunner()
				prompt := make([]int, 16)
				for i := range prompt {
					prompt[i] = (i * 7919) % m.Config.Vocab
				}
				c := m.NewKVCache(256)
				batch := []Seq{{Cache: c, Tokens: prompt}}
				if err := run.Forward(batch); err != nil {
					b.Fatal(err)
				}
				tok := []int{Argmax(batch[0].Logits)}
				b.ResetTimer()
				cpu := startCPU()
				for range b.N {
					if c.Len() >= 144 {
						c.Truncate(16)
					}
					batch[0].Tokens = tok
					if err := run.Forward(batch); err != nil {
						b.Fatal(err)
					}
					tok[0] = Argmax(batch[0].Logits)
				}
				cpu.report(b, 1, "tokens")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}
