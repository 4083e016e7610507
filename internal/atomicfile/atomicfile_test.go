package atomicfile

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// names lists a directory's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "a.txt") // the parent is created
	if err := WriteFile(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("content %q, %v", b, err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	if got := names(t, filepath.Join(dir, "sub")); len(got) != 1 || got[0] != "a.txt" {
		t.Fatalf("directory holds %v, want only a.txt", got)
	}
}

// A failing fill leaves the old file and no temporary file behind.
func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.bin")
	if err := WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, 0o644, func(f *os.File) error {
		f.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v, want boom naming %s", err, p)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("content after failure %q", b)
	}
	if got := names(t, dir); len(got) != 1 {
		t.Fatalf("directory holds %v after a failed write", got)
	}
}

func TestWriteJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "v.json")
	v := map[string]any{"a": []int{1, 2}, "b": "<&>"}
	if err := WriteJSON(p, v, 0o644); err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(v, "", "  ")
	if b, _ := os.ReadFile(p); string(b) != string(want)+"\n" {
		t.Fatalf("got %q, want %q", b, want)
	}
	if err := WriteJSON(p, func() {}, 0o644); err == nil {
		t.Fatal("unencodable value accepted")
	}
}

func writeDir(files map[string]string) func(string) error {
	return func(tmp string) error {
		for n, c := range files {
			if err := WriteFile(filepath.Join(tmp, n), []byte(c), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(b)
	}
	return out
}

func TestReplaceDir(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "m")
	if err := ReplaceDir(d, writeDir(map[string]string{"a": "1", "b": "1"})); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceDir(d, writeDir(map[string]string{"a": "2"})); err != nil {
		t.Fatal(err)
	}
	if got := readDir(t, d); len(got) != 1 || got["a"] != "2" {
		t.Fatalf("replaced directory holds %v", got)
	}
	st, err := os.Stat(d)
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	if got := names(t, root); len(got) != 1 || got[0] != "m" {
		t.Fatalf("parent holds %v, want only m", got)
	}
	// A failing build leaves the directory as it was and removes its temporary directory.
	boom := errors.New("boom")
	err = ReplaceDir(d, func(tmp string) error {
		writeDir(map[string]string{"a": "3"})(tmp)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if got := readDir(t, d); got["a"] != "2" {
		t.Fatalf("after a failed replace: %v", got)
	}
	if got := names(t, root); len(got) != 1 {
		t.Fatalf("parent holds %v after a failed replace", got)
	}
}

// After a crash between the two renames only dir+".old" is complete: it survives until the
// next version is in place, then goes.
func TestReplaceDirKeepsSurvivor(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "ckpt")
	if err := ReplaceDir(d+".old", writeDir(map[string]string{"state": "5"})); err != nil {
		t.Fatal(err)
	}
	var sawOld bool
	err := ReplaceDir(d, func(tmp string) error {
		_, err := os.Stat(d + ".old")
		sawOld = err == nil
		return writeDir(map[string]string{"state": "6"})(tmp)
	})
	if err != nil || !sawOld {
		t.Fatalf("err %v, survivor present while building: %v", err, sawOld)
	}
	if got := readDir(t, d); got["state"] != "6" {
		t.Fatalf("new version %v", got)
	}
	if _, err := os.Stat(d + ".old"); !os.IsNotExist(err) {
		t.Fatalf("survivor not removed once the new version is in place: %v", err)
	}
}
