package llama

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchSampleRow is a synthetic logit row: "normal" draws every logit from
// N(0, 3²) (mass spread over thousands of tokens at T=1, the hard case for
// a partial sort); "lm" is shaped like a language model's row, a broad
// N(-2, 2.5²) background with a few dozen clear candidates 8..16 above it.
func benchSampleRow(vocab int, shape string) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, vocab)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64() * 3)
	}
	if shape == "lm" {
		for i := range logits {
			logits[i] = float32(rng.NormFloat64()*2.5 - 2)
		}
		for range 40 {
			logits[rng.IntN(vocab)] = float32(8 + 8*rng.Float64())
		}
	}
	return logits
}

// BenchmarkSample measures drawing one token from a logit row over the 30m
// preset's and the Llama-3 vocabulary, for each option combination (T=1
// alone and with top-p 0.95 are the GRPO settings), with the sampler in
// use ("select") and the full sort it replaced ("fullsort", the reference
// kept in sample_ref_test.go), so one run gives the before/after ratio.
// Decoding samples once per sequence and step (8 times per step for a
// group of 8).
//
// Measured 2026-11-27 under the heavy lock (load 1.4-1.9 from outside it),
// one run, ns/token select vs fullsort at vocab 128256: normal rows T1
// 1.21 ms vs 20.8 ms (17x), T1 top-p 0.95 1.60 vs 20.9 (13x), top-k 50
// 0.38 vs 18.3 (48x), T0.7 top-k 50 top-p 0.9 0.41 vs 18.1 (45x); lm rows
// 0.95 vs 19.1 (20x), 0.99 vs 18.8 (19x), 0.37 vs 17.5 (47x), 0.37 vs 17.1
// (46x). Vocab 8192: 34-94 µs vs 0.79-1.13 ms (10-24x). No bracket
// fallback in any case.
func BenchmarkSample(b *testing.B) {
	opts := []struct {
		name string
		o    SampleOptions
	}{
		{"T1", SampleOptions{Temperature: 1}},
		{"T1-topp0.95", SampleOptions{Temperature: 1, TopP: 0.95}},
		{"T1-topk50", SampleOptions{Temperature: 1, TopK: 50}},
		{"T0.7-topk50-topp0.9", SampleOptions{Temperature: 0.7, TopK: 50, TopP: 0.9}},
	}
	for _, vocab := range []int{8192, 128256} {
		for _, shape := range []string{"normal", "lm"} {
			logits := benchSampleRow(vocab, shape)
			for _, c := range opts {
				for _, algo := range []string{"select", "fullsort"} {
					name := fmt.Sprintf("vocab=%d/row=%s/%s/%s", vocab, shape, c.name, algo)
					b.Run(name, func(b *testing.B) {
						s := NewSampler(c.o, 1, 0)
						draw := s.Sample
						if algo == "fullsort" {
							draw = newRefSampler(c.o, 1, 0).Sample
						}
						draw(logits) // warm the buffers
						b.ResetTimer()
						cpu := startCPU()
						for range b.N {
							draw(logits)
						}
						cpu.report(b, 1, "tokens")
						ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
						b.ReportMetric(ns, "ns/token")
						b.ReportMetric(1e9/ns, "tokens/s")
						if algo == "select" {
							b.ReportMetric(float64(s.fallbacks)/float64(b.N), "fallbacks/token")
						}
					})
				}
			}
		}
	}
}
