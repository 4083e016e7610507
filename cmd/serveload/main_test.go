package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestServeloadRefusesRemoteTargets(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-url", "http://192.0.2.1:8080/v1", "-duration", "1s"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("non-loopback target: %v", err)
	}
	if err := run(context.Background(), []string{"extra"}, &out, &errb); err == nil {
		t.Fatal("positional argument accepted")
	}
}
