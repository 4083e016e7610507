//go:build unix

package llama

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A tensor name that appears twice in a header is refused, escaped spellings included,
// instead of the last entry winning (issue 16, item 8).
func TestSafetensorsDuplicateNames(t *testing.T) {
	for name, hdr := range map[string]string{
		"plain":    `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`,
		"escaped":  `{"ab":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a\u0062":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`,
		"metadata": `{"__metadata__":{"x":"1"},"__metadata__":{"x":"2"}}`,
	} {
		_, err := ParseSafetensors(stImage(hdr, 8))
		if err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: duplicate name: %v", name, err)
		}
	}
}

// A shard that is a FIFO (or any non-regular file) is refused at once, not read forever.
func TestShardFIFORefused(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSafetensors(filepath.Join(dir, "model-00001-of-00002.safetensors"), []Tensor{{Name: "a", Shape: []int{1}, F32: []float32{1}}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "model-00002-of-00002.safetensors"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx, _ := json.Marshal(map[string]any{"weight_map": map[string]string{"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}})
	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), idx, 0o644)
	done := make(chan error, 1)
	go func() {
		ts, err := OpenTensors(dir)
		if err == nil {
			ts.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("FIFO shard: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("opening a FIFO shard blocked")
	}
}
