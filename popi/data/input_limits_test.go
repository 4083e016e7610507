//go:build unix

package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// allocated runs fn and returns the bytes it allocated on the heap.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A 19-byte parquet file whose footer length claims ~4 GB is refused before parquet-go
// allocates the footer buffer (issue 16, item 2).
func TestParquetHugeFooterRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.parquet")
	if err := os.WriteFile(p, []byte("PAR1\x00PAR1\x00\x00\x00\x00\x00\xecPAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	n := allocated(func() { _, err = LoadFSPO(FamilyELIX, p) })
	if n > 16<<20 {
		t.Fatalf("loading a 19-byte file allocated %d bytes", n)
	}
	if err == nil || !strings.Contains(err.Error(), "footer length") {
		t.Fatalf("error %v, want one about the footer length", err)
	}
}

// Whitespace inside a JSON array costs no memory per byte, and the element after it is
// located on its line (issue 16, item 3: 8 bytes were kept per newline).
func TestJSONArrayWhitespaceBounded(t *testing.T) {
	const newlines = 4 << 20
	rec := `{"prompt":"p","response_x":"a","response_y":"b","label":0,"scorer_level":"u"}`
	var b bytes.Buffer
	b.WriteString("[")
	b.Write(bytes.Repeat([]byte{'\n'}, newlines))
	b.WriteString(rec + ",\n" + rec + "]\n")
	p := filepath.Join(t.TempDir(), "a.json")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var lines []int
	n := allocated(func() {
		err := readRecords(p, func(_ record, src Source) error {
			lines = append(lines, src.Line)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if len(lines) != 2 || lines[0] != newlines+1 || lines[1] != newlines+2 {
		t.Fatalf("element lines %v, want [%d %d]", lines, newlines+1, newlines+2)
	}
	if n > 8<<20 {
		t.Fatalf("reading %d newlines allocated %d bytes", newlines, n)
	}
}

// An array element longer than the JSONL line limit is an error naming its line, read
// without holding more than the limit.
func TestJSONArrayElementCap(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("[\n{\"prompt\":\"")
	b.Write(bytes.Repeat([]byte{'x'}, maxLineBytes))
	b.WriteString("\"}]")
	p := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	err := readRecords(p, func(record, Source) error { return nil })
	var re *RecordError
	if !errors.As(err, &re) || re.Source.Line != 2 || !strings.Contains(err.Error(), "array element longer than") {
		t.Fatalf("oversized element: %v", err)
	}
}

// A dataset path naming a FIFO fails at once instead of hanging the loader (item 8).
func TestDatasetFIFORefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.jsonl")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadFSPO(FamilyELIX, p); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("loading a FIFO blocked")
	}
}
