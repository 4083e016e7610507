package llama

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// SaveModelDir writes a loadable directory, replaces a previous version whole, carries over
// foreign files only when asked, and leaves the old version when a step fails.
func TestSaveModelDir(t *testing.T) {
	m, err := Load(tinyDir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := LoadTokenizer(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "m")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("notes"), 0o644)
	os.WriteFile(filepath.Join(dir, "stale.bin"), []byte("x"), 0o644)
	extra := func(tmp string) error { return os.WriteFile(filepath.Join(tmp, "state.json"), []byte("{}"), 0o644) }
	if err := SaveModelDir(dir, m, tok, SaveDirOptions{Extra: extra}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "state.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("missing %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); !os.IsNotExist(err) {
		t.Fatalf("README.md carried over without KeepOther: %v", err)
	}
	got, err := Load(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Layers[0].Q.F32, m.Layers[0].Q.F32) {
		t.Fatal("weights differ after SaveModelDir")
	}
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("notes"), 0o644)
	if err := SaveModelDir(dir, m, nil, SaveDirOptions{KeepOther: true}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "README.md")); err != nil || string(b) != "notes" {
		t.Fatalf("README.md not carried over: %q %v", b, err)
	}
	// A failing step keeps the previous version.
	if err := SaveModelDir(dir, m, nil, SaveDirOptions{Extra: func(string) error { return os.ErrPermission }}); err == nil {
		t.Fatal("error of Extra not returned")
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Fatalf("failed save changed the directory: %v", err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 1 {
		t.Fatalf("leftovers beside the directory: %v", ents)
	}
}
