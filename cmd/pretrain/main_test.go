package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunTinyWritesModelDirectory(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m")
	var buf bytes.Buffer
	args := []string{"-out", out, "-examples", "64", "-tokenizer-examples", "64", "-vocab", "900", "-max-positions", "2048",
		"-hidden", "32", "-ffn", "64", "-layers", "1", "-heads", "4", "-kv-heads", "2",
		"-steps", "6", "-batch", "4", "-warmup", "2", "-log-every", "3", "-eval", "2",
		"-anneal-steps", "2", "-anneal-examples", "16", "-anneal-mix", "1,1,0,0"}
	if err := run(context.Background(), args, &buf); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	for _, want := range []string{"step     6/6", "tok/s", "ETA", "saved " + out, "training wall time:", "reward accuracy", "wall time:",
		"in annealing corpus (last 2 steps)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
	for _, f := range []string{"config.json", "generation_config.json", "model.safetensors", "tokenizer.model",
		"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if b, err := os.ReadFile(out + ".metrics.jsonl"); err != nil || bytes.Count(b, []byte("\n")) != 2 {
		t.Errorf("metrics: %v %q", err, b)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-steps", "0"},
		{"-minutes", "-1"},
		{"-heads", "5"},
		{"-anneal-mix", "1,2"},
		{"-anneal-mix", "1,x,0,0"},
		{"-nope"},
		{"extra"},
	} {
		var buf bytes.Buffer
		if err := run(context.Background(), append(args, "-out", filepath.Join(t.TempDir(), "m")), &buf); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
