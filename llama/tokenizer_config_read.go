package llama

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/popi-go/popi/internal/safefile"
)

// TokenizerConfig is what ReadTokenizerConfig takes from a Hugging Face
// tokenizer_config.json (the fields GGUF export carries over, GGUFWriteOptions).
type TokenizerConfig struct {
	// ChatTemplate is chat_template when it is one plain string; a list of named templates
	// is not taken (empty).
	ChatTemplate string
	// EOSToken is eos_token's text, given in the file as a string or as an AddedToken
	// object {"content": ...}.
	EOSToken string
}

// ReadTokenizerConfig reads the tokenizer_config.json of a model directory, or of the
// directory holding a model file such as a .gguf. A missing file gives the zero config.
func ReadTokenizerConfig(model string) (TokenizerConfig, error) {
	var out TokenizerConfig
	dir := model
	if st, err := os.Stat(model); err == nil && !st.IsDir() {
		dir = filepath.Dir(model)
	}
	data, err := safefile.ReadFile(filepath.Join(dir, "tokenizer_config.json"), maxTokenizerFile)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	var tc struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
		EOS          json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(data, &tc); err != nil {
		return out, fmt.Errorf("tokenizer_config.json: %w", err)
	}
	var tmpl, s string
	if json.Unmarshal(tc.ChatTemplate, &tmpl) == nil {
		out.ChatTemplate = tmpl
	}
	var obj struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(tc.EOS, &s) == nil && s != "" {
		out.EOSToken = s
	} else if json.Unmarshal(tc.EOS, &obj) == nil && obj.Content != "" {
		out.EOSToken = obj.Content
	}
	return out, nil
}
