package llama

import "fmt"

// ShapeConfig returns the configuration of a named model shape used by the benchmarks and
// by random-weight exports (cmd/export -random), so both build exactly the same model:
//   - "1b": Llama-3.2-1B (hidden 2048, 16 layers, 32 heads / 8 KV heads, ffn 8192,
//     vocab 128256, tied embeddings, llama3 RoPE scaling);
//   - "3b": Llama-3.2-3B (hidden 3072, 28 layers, 24 heads of 128 / 8 KV heads, ffn 8192,
//     the same vocabulary, tied embeddings and RoPE scaling);
//   - "5m", "30m": the presets of the PyTorch reference script
//     (shared/bench/torch_tiny_llama.py; 8 heads / 2 KV heads, tied embeddings).
func ShapeConfig(name string) (*Config, error) {
	switch name {
	case "1b":
		return &Config{Vocab: 128256, Hidden: 2048, Intermediate: 8192, Layers: 16, Heads: 32, KVHeads: 8,
			HeadDim: 64, RMSNormEps: 1e-5, RopeTheta: 500000, TieWordEmbeddings: true, BOS: 128000,
			EOS: []int{128001, 128009}, MaxPositions: 131072,
			RopeScaling: &RopeScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}}, nil
	case "3b": // Llama-3.2-3B
		return &Config{Vocab: 128256, Hidden: 3072, Intermediate: 8192, Layers: 28, Heads: 24, KVHeads: 8,
			HeadDim: 128, RMSNormEps: 1e-5, RopeTheta: 500000, TieWordEmbeddings: true, BOS: 128000,
			EOS: []int{128001, 128009}, MaxPositions: 131072,
			RopeScaling: &RopeScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}}, nil
	case "5m", "30m":
		c := &Config{Heads: 8, KVHeads: 2, RMSNormEps: 1e-5, RopeTheta: 500000, TieWordEmbeddings: true, BOS: -1, MaxPositions: 4096}
		if name == "5m" {
			c.Vocab, c.Hidden, c.Layers, c.Intermediate = 4096, 256, 4, 688
		} else {
			c.Vocab, c.Hidden, c.Layers, c.Intermediate = 8192, 512, 8, 1376
		}
		c.HeadDim = c.Hidden / c.Heads
		return c, nil
	}
	return nil, fmt.Errorf("llama: unknown model shape %q (want 1b, 3b, 5m or 30m)", name)
}
