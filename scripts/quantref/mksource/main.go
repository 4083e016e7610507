// Command mksource writes the f32 GGUF that scripts/quantref/llamacpp_quantize.sh hands to
// llama.cpp's quantizer: the random model of llama's quantization tests (quantTestConfig in
// llama/quant_test.go: hidden 256, 2 layers, 4 heads of 64, 2 KV heads, SwiGLU 256, vocab 384,
// tied; NewRandom seed 7) with the synthetic tokenizer. The tests rebuild the same model in
// memory and compare their own quantization with llama.cpp's, byte for byte.
package main

import (
	"fmt"
	"os"

	"github.com/popi-go/popi/llama"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mksource out.gguf")
		os.Exit(2)
	}
	cfg := &llama.Config{
		Hidden: 256, Intermediate: 256, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 64, Vocab: 384,
		RMSNormEps: 1e-5, RopeTheta: 500000, MaxPositions: 256, TieWordEmbeddings: true,
		BOS: 1, EOS: []int{2},
	}
	m, err := llama.NewRandom(cfg, 7)
	if err == nil {
		var tok *llama.Tokenizer
		if tok, err = llama.SyntheticTokenizer(cfg.Vocab); err == nil {
			err = llama.WriteGGUF(os.Args[1], m, tok, llama.GGUFWriteOptions{WeightType: "f32", Name: "popi-quant-test"})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksource:", err)
		os.Exit(1)
	}
}
