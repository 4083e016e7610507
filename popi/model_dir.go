package popi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/popi-go/popi/llama"
)

// DefaultModelDir is where the built-in tiny base model lives (relative to the repository
// root), written by `go run ./cmd/pretrain`.
const DefaultModelDir = "models/popi-tiny"

// LoadBase loads a model directory and its tokenizer with a clear error when missing. A
// PEFT adapter directory (a LoRA run's models/inference, for example) loads as a view of
// its base model (adapter_config.json's base_model_name_or_path) running the adapter, with
// the adapter directory's tokenizer when it holds one.
func LoadBase(dir, weightType string) (*llama.Model, *llama.Tokenizer, error) {
	if isAdapterDir(dir) {
		return loadAdapterModel(dir, weightType)
	}
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

// loadAdapterModel loads the base model an adapter directory names and returns it viewed
// with the adapter.
func loadAdapterModel(dir, weightType string) (*llama.Model, *llama.Tokenizer, error) {
	var ac struct {
		Base string `json:"base_model_name_or_path"`
	}
	b, err := os.ReadFile(filepath.Join(dir, llama.AdapterConfigFile))
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(b, &ac); err != nil {
		return nil, nil, fmt.Errorf("popi: %s: %w", filepath.Join(dir, llama.AdapterConfigFile), err)
	}
	if ac.Base == "" {
		return nil, nil, fmt.Errorf("popi: adapter %s names no base model (base_model_name_or_path); merge it into its base with cmd/export -model BASE -adapter %s", dir, dir)
	}
	if isAdapterDir(ac.Base) {
		return nil, nil, fmt.Errorf("popi: adapter %s names another adapter (%s) as its base", dir, ac.Base)
	}
	base, tok, err := LoadBase(ac.Base, weightType)
	if err != nil {
		return nil, nil, fmt.Errorf("popi: base model of adapter %s: %w", dir, err)
	}
	a, err := llama.LoadAdapter(dir, base.Config)
	if err != nil {
		return nil, nil, err
	}
	v, err := base.WithAdapter(a)
	if err != nil {
		return nil, nil, err
	}
	if t, err := llama.LoadTokenizer(dir); err == nil {
		tok = t
	}
	return v, tok, nil
}
