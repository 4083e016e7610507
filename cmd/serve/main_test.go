package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestServeFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "-model is required"},
		{[]string{"-model", "../../models/popi-tiny", "x"}, "unexpected arguments"},
		{[]string{"-model", t.TempDir()}, "config.json"},
		{[]string{"-model", "../../models/popi-tiny", "-family", "nope"}, "family"},
		{[]string{"-model", "../../models/popi-tiny", "-api-key-env", "POPI_NO_SUCH_VARIABLE", "-db", ""}, "empty or unset"},
		{[]string{"-model", "../../models/popi-tiny", "-summarizer", t.TempDir(), "-db", ""}, "config.json"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), c.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServeStartsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"-model", "../../models/popi-tiny", "-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "u.db")}, &out, io.Discard)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "http://") {
		if time.Now().After(deadline) {
			t.Fatalf("no listening line: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	s := out.String()
	addr := strings.Fields(s[strings.Index(s, "http://"):])[0]
	r, err := http.Get(addr + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(b), `"id":"popi-tiny"`) {
		t.Fatalf("/v1/models: %s", b)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
