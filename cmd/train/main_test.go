package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainFlagErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-no-such-flag"}, &out, &errb); code != 2 {
		t.Fatalf("bad flag: exit %d", code)
	}
	errb.Reset()
	if code := run(context.Background(), []string{"extra"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unexpected arguments") {
		t.Fatalf("positional argument: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	dir := filepath.Join(t.TempDir(), "run")
	if code := run(context.Background(), []string{"-model", t.TempDir(), "-out", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no config.json") {
		t.Fatalf("missing model: exit %d, %q", code, errb.String())
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("a failed start created the run directory")
	}
	errb.Reset()
	if code := run(context.Background(), []string{"-loss", "kto", "-out", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "unknown loss") {
		t.Fatalf("bad loss: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"-resume", "-out", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "cannot resume") {
		t.Fatalf("resume without a run: exit %d, %q", code, errb.String())
	}
}
