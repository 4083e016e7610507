package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFileLimits(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	os.WriteFile(p, []byte("hello"), 0o644)
	if b, err := ReadFile(p, 5); err != nil || string(b) != "hello" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := ReadFile(p, 4); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := ReadFile(dir, 1<<20); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("directory: %v", err)
	}
	empty := filepath.Join(dir, "e")
	os.WriteFile(empty, nil, 0o644)
	if b, err := ReadFile(empty, 0); err != nil || len(b) != 0 {
		t.Fatalf("empty: %q %v", b, err)
	}
}
