package popi

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Algorithm 2 writes a user's summary once: the first call stores what write returns, later
// calls reuse it without writing; an unreadable record is an error and stays as it is.
func TestStoredSummaryWritesOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "u", "user.json")
	calls := 0
	write := func() (*SummaryRecord, error) {
		calls++
		return &SummaryRecord{User: "u1", Family: "elix", Model: "m", Signals: "sig", Summary: "The user likes cats.", Tokens: 5}, nil
	}
	rec, reused, err := StoredSummary(path, write)
	if err != nil || reused || calls != 1 || rec.Summary != "The user likes cats." {
		t.Fatalf("first call: %+v reused=%v calls=%d %v", rec, reused, calls, err)
	}
	again, reused, err := StoredSummary(path, write)
	if err != nil || !reused || calls != 1 || *again != *rec {
		t.Fatalf("second call: %+v reused=%v calls=%d %v", again, reused, calls, err)
	}
	boom := errors.New("boom")
	other := filepath.Join(dir, "other.json")
	if _, _, err := StoredSummary(other, func() (*SummaryRecord, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("write error: %v", err)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Fatalf("a failed write stored something: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"summary": 3}`), 0o644)
	if _, _, err := StoredSummary(bad, write); err == nil || calls != 1 {
		t.Fatalf("corrupt record: %v, %d writes", err, calls)
	}
	if b, _ := os.ReadFile(bad); string(b) != `{"summary": 3}` {
		t.Fatalf("corrupt record overwritten: %q", b)
	}
}
