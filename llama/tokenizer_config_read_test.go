package llama

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadTokenizerConfig(t *testing.T) {
	// The tiny golden directory ships Meta's tokenizer_config.json (chat template, eos string).
	tc, err := ReadTokenizerConfig(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	if tc.EOSToken == "" || tc.ChatTemplate == "" {
		t.Fatalf("golden config: %+v", tc)
	}
	dir := t.TempDir()
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		file string
		want TokenizerConfig
	}{
		{`{"chat_template": "{{ x }}", "eos_token": "<|eot_id|>"}`, TokenizerConfig{ChatTemplate: "{{ x }}", EOSToken: "<|eot_id|>"}},
		{`{"eos_token": {"content": "</s>", "special": true}}`, TokenizerConfig{EOSToken: "</s>"}},
		{`{"chat_template": [{"name": "default", "template": "t"}], "eos_token": null}`, TokenizerConfig{}},
	} {
		write(c.file)
		got, err := ReadTokenizerConfig(dir)
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.file, got, err, c.want)
		}
		// A model file in the directory (e.g. a .gguf) finds the same file.
		model := filepath.Join(dir, "m.gguf")
		os.WriteFile(model, nil, 0o644)
		if got2, err := ReadTokenizerConfig(model); err != nil || got2 != got {
			t.Errorf("%s via a model file: %+v %v", c.file, got2, err)
		}
	}
	write(`{"eos_token": `)
	if _, err := ReadTokenizerConfig(dir); err == nil {
		t.Error("malformed tokenizer_config.json accepted")
	}
	if tc, err := ReadTokenizerConfig(t.TempDir()); err != nil || tc != (TokenizerConfig{}) {
		t.Errorf("missing file: %+v %v", tc, err)
	}
}
