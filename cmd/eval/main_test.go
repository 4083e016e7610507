package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestEvalArgs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-run DIR is required") {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"-run", t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "not a run directory") {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
}

func TestEvalTransferSpecs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-run", t.TempDir(), "-transfer", "api=https://h/v1"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "URL#MODEL") {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
}
