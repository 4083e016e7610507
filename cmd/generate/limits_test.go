package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// -max-tokens far beyond memory ends at the model's context instead of preallocating for
// it (a fatal OOM) or panicking in makeslice (issue 16, item 4).
func TestGenerateHugeMaxTokens(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} {
		b, err := os.ReadFile(filepath.Join(tiny, f))
		if err != nil {
			continue
		}
		if f == "config.json" {
			b = regexp.MustCompile(`"max_position_embeddings": \d+`).ReplaceAll(b, []byte(`"max_position_embeddings": 48`))
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"1000000000", "9000000000000000000"} {
		var out, errOut bytes.Buffer
		err := run([]string{"-model", dir, "-prompt", "Once upon a time", "-temp", "0", "-max-tokens", n, "-stats"}, &out, &errOut)
		if err != nil {
			t.Fatalf("-max-tokens %s: %v", n, err)
		}
		if !bytes.Contains(errOut.Bytes(), []byte("(context)")) && !bytes.Contains(errOut.Bytes(), []byte("(stop)")) {
			t.Fatalf("-max-tokens %s: %s", n, errOut.String())
		}
	}
}
