package popi

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/popi-go/popi/llama"
)

// DefaultModelDir is where the built-in tiny base model lives (relative to the repository
// root), written by `go run ./cmd/pretrain`.
const DefaultModelDir = "models/popi-tiny"

// LoadBase loads a model directory and its tokenizer with a clear error when missing.
func LoadBase(dir, weightType string) (*llama.Model, *llama.Tokenizer, error) {
	if err := checkModelDir(dir); err != nil {
		return nil, nil, err
	}
	return loadModelDir(dir, weightType)
}

// loadModelDir is LoadBase for a directory already checked by checkModelDir.
func loadModelDir(dir, weightType string) (*llama.Model, *llama.Tokenizer, error) {
	m, err := llama.Load(dir, llama.LoadOptions{WeightType: weightType})
	if err != nil {
		return nil, nil, err
	}
	tok, err := llama.LoadTokenizer(dir)
	if err != nil {
		return nil, nil, err
	}
	if tok.VocabSize() > m.Config.Vocab {
		return nil, nil, fmt.Errorf("popi: tokenizer of %s has %d tokens, the model only %d", dir, tok.VocabSize(), m.Config.Vocab)
	}
	return m, tok, nil
}

// checkModelDir reports a model directory without config.json (a .gguf file is accepted), pointing to cmd/pretrain
// for the built-in one.
func checkModelDir(dir string) error {
	if st, err := os.Stat(dir); err == nil && st.Mode().IsRegular() && strings.HasSuffix(strings.ToLower(dir), ".gguf") {
		return nil // a GGUF file holds the config, the weights and the tokenizer
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		if dir == DefaultModelDir {
			return fmt.Errorf("popi: the built-in base model %s is missing (it is built by `go run ./cmd/pretrain`); "+
				"pass -model DIR with a Hugging Face LLaMA directory", dir)
		}
		return fmt.Errorf("popi: model directory %s has no config.json", dir)
	}
	return nil
}
