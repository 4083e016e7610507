package llama

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSample measures drawing one token from a logit row (temperature
// 1, top-p 0.95: the GRPO sampling setting) over the 30m preset's and the
// Llama-3 vocabulary. Decoding samples once per sequence and step, so this
// adds to every decode step (8 times per step for a group of 8).
func BenchmarkSample(b *testing.B) {
	for _, vocab := range []int{8192, 128256} {
		b.Run(fmt.Sprintf("vocab=%d", vocab), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			logits := make([]float32, vocab)
			for i := range logits {
				logits[i] = float32(rng.NormFloat64() * 3)
			}
			s := NewSampler(SampleOptions{Temperature: 1, TopP: 0.95}, 1, 0)
			b.ResetTimer()
			cpu := startCPU()
			for range b.N {
				s.Sample(logits)
			}
			cpu.report(b, 1, "samples")
		})
	}
}
