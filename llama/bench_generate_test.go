package llama

import (
	"testing"

	"github.com/popi-go/popi/tensor"
)

// BenchmarkGenerateGroup measures GRPO-style group sampling with
// Runner.GenerateN: 8 completions of 32 tokens after a 16-token prompt,
// temperature 1, top-p 0.95, no stop tokens (every completion runs to
// MaxTokens), 30m preset in bf16.
func BenchmarkGenerateGroup(b *testing.B) {
	m := benchModel(b, "30m", tensor.BF16)
	r := m.NewRunner()
	prompt := make([]int, 16)
	for i := range prompt {
		prompt[i] = (i*7919 + 5) % m.Config.Vocab
	}
	const G, N = 8, 32
	opts := GenerateOptions{SampleOptions: SampleOptions{Temperature: 1, TopP: 0.95}, MaxTokens: N, StopTokens: []int{}, Seed: 3}
	b.ResetTimer()
	cpu := startCPU()
	for range b.N {
		cs, err := r.GenerateN(prompt, G, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(cs) != G || len(cs[0].Tokens) != N {
			b.Fatalf("got %d completions of %d tokens", len(cs), len(cs[0].Tokens))
		}
	}
	cpu.report(b, G*N, "tokens")
	b.ReportMetric(float64(G*N*b.N)/b.Elapsed().Seconds(), "tokens/s")
}
