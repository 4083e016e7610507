package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func genState(t *testing.T, root string) string {
	t.Helper()
	d, ok := Current(root)
	if !ok {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(d, "state"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommitAndCurrent(t *testing.T) {
	root := filepath.Join(t.TempDir(), "ckpt", "stage1") // parents are created
	if _, ok := Current(root); ok {
		t.Fatal("empty store has a current generation")
	}
	for _, v := range []string{"1", "2", "3"} {
		if _, err := Commit(root, writeDir(map[string]string{"state": v, "w": "weights" + v})); err != nil {
			t.Fatal(err)
		}
		if got := genState(t, root); got != v {
			t.Fatalf("current %q, want %q", got, v)
		}
	}
	if got := names(t, root); len(got) != 2 || got[0] != "CURRENT" || got[1] != "g000003" {
		t.Fatalf("store holds %v", got)
	}
	// A failing build leaves the committed generation and nothing else.
	boom := errors.New("boom")
	if _, err := Commit(root, func(string) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if got := names(t, root); len(got) != 2 || genState(t, root) != "3" {
		t.Fatalf("after a failed build: %v", got)
	}
}

// Recovery considers every complete generation: a damaged committed generation, or a
// missing or torn CURRENT, falls back to the newest complete one; a generation without
// its MANIFEST or whose files differ from it is never used.
func TestCurrentRecovery(t *testing.T) {
	root := t.TempDir()
	gen2 := func() string {
		// Two complete generations, as a crash between the switch and the cleanup leaves.
		os.RemoveAll(root)
		if _, err := Commit(root, writeDir(map[string]string{"state": "1"})); err != nil {
			t.Fatal(err)
		}
		CrashHook = func(s string) error {
			if s == "current" {
				return errors.New("crash")
			}
			return nil
		}
		defer func() { CrashHook = nil }()
		if _, err := Commit(root, writeDir(map[string]string{"state": "2"})); err == nil {
			t.Fatal("no crash")
		}
		return filepath.Join(root, "g000002")
	}
	g := gen2()
	if got := genState(t, root); got != "2" {
		t.Fatalf("both complete: current %q", got)
	}
	os.WriteFile(filepath.Join(g, "state"), []byte("X"), 0o644) // damaged after commit
	if got := genState(t, root); got != "1" {
		t.Fatalf("damaged newest: %q, want fallback to 1", got)
	}
	g = gen2()
	os.WriteFile(filepath.Join(root, "CURRENT"), []byte("g0000"), 0o644) // torn pointer
	if got := genState(t, root); got != "2" {
		t.Fatalf("torn CURRENT: %q", got)
	}
	os.Remove(filepath.Join(g, "MANIFEST")) // the newest incomplete
	if got := genState(t, root); got != "1" {
		t.Fatalf("incomplete newest: %q", got)
	}
	os.WriteFile(filepath.Join(g, ".w.tmp123"), nil, 0o644)
	if err := Verify(g); err == nil {
		t.Fatal("a generation holding a temporary file verified")
	}
}

// A crash at every step of Commit leaves the previous or the new version recoverable, and
// the next Commit cleans up whatever the crash left.
func TestCommitCrashAtEveryStep(t *testing.T) {
	for _, step := range CommitSteps {
		root := t.TempDir()
		if _, err := Commit(root, writeDir(map[string]string{"state": "old"})); err != nil {
			t.Fatal(err)
		}
		CrashHook = func(s string) error {
			if s == step {
				return errors.New("crash")
			}
			return nil
		}
		_, err := Commit(root, writeDir(map[string]string{"state": "new"}))
		CrashHook = nil
		if err == nil {
			t.Fatalf("%s: no crash", step)
		}
		got := genState(t, root)
		want := "old"
		if step == "current" || step == "cleanup" {
			want = "new"
		}
		if got != want {
			t.Fatalf("%s: recovered %q, want %q", step, got, want)
		}
		if _, err := Commit(root, writeDir(map[string]string{"state": "next"})); err != nil {
			t.Fatal(err)
		}
		if got := names(t, root); len(got) != 2 || genState(t, root) != "next" {
			t.Fatalf("%s: after the next commit the store holds %v", step, got)
		}
	}
}

// ReplaceDir removes the temporary directories of calls that crashed before they could
// clean up, instead of leaving them (each a whole model) forever (issue 16, item 5).
func TestReplaceDirRemovesStaleTemporaries(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "m")
	stale := filepath.Join(root, ".m.tmp-12345")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stale, "model.safetensors"), []byte("big"), 0o644)
	other := filepath.Join(root, ".mm.tmp-1") // another directory's temporary is not ours
	os.MkdirAll(other, 0o755)
	if err := ReplaceDir(d, writeDir(map[string]string{"a": "1"})); err != nil {
		t.Fatal(err)
	}
	if got := names(t, root); len(got) != 2 || got[0] != ".mm.tmp-1" || got[1] != "m" {
		t.Fatalf("parent holds %v", got)
	}
}
