package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/serve"
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

// -preset selects the flags' defaults; the paper preset needs a model; a β list and
// transfer specs are parsed before anything runs.
func TestTrainPresetAndLists(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-preset", "x"}, "unknown preset"},
		{[]string{"-preset=paper"}, "no model directory"},
		{[]string{"-beta", "0.1,zero"}, "bad β"},
		{[]string{"-beta", "0.1,0.1"}, "given twice"},
		{[]string{"-transfer", "name=https://h/v1"}, "URL#MODEL"},
		{[]string{"-episodes", "fixed", "-train-samples", "10"}, "per-step episodes"},
		{[]string{"-lora", "yes"}, "unknown LoRA mode"},
		{[]string{"-lora", "on", "-lora-r", "-4"}, "LoRA rank"},
		{[]string{"-lora", "on", "-lora-alpha", "0", "-lora-r", "8"}, "must be positive"},
		{[]string{"-lora-r", "0"}, "must be positive"},
		{[]string{"-lora-alpha", "-1"}, "lora_alpha"},
		{[]string{"-lora-dropout", "1"}, "lora_dropout"},
		{[]string{"-lora-targets", "q_proj,attn"}, "unknown LoRA target"},
		{[]string{"-lora-targets", ","}, "names no projection"},
		{[]string{"-scorer-url", "ftp://h/v1"}, "http(s) API root"},
		{[]string{"-scorer-url", "http://h/v1", "-scorer-key-env", "POPI_NO_SUCH_VARIABLE"}, "empty or unset"},
	} {
		var out, errb bytes.Buffer
		dir := filepath.Join(t.TempDir(), "run")
		code := run(context.Background(), append(c.args, "-out", dir), &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), c.want) {
			t.Fatalf("%v: exit %d, %q", c.args, code, errb.String())
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("%v: created the run directory", c.args)
		}
	}
	if presetArg([]string{"-seed", "2", "--preset", "paper"}) != "paper" || presetArg([]string{"-preset=world"}) != "world" || presetArg([]string{"--", "-preset", "paper"}) != "" {
		t.Fatal("presetArg")
	}
}

// A short POPI run with LoRA on the built-in tiny model through the command line: adapters
// on the frozen base in both stages, written as PEFT adapter directories, and a resumed
// finished run reproduces the results table.
func TestTrainLoRAEndToEnd(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "..", "models", "popi-tiny", "config.json")); err != nil {
		t.Fatalf("built-in model missing: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"-model", filepath.Join("..", "..", "models", "popi-tiny"), "-out", dir, "-lora", "on", "-lora-r", "4", "-lora-alpha", "8",
		"-lora-targets", "q_proj,v_proj,o_proj,down_proj", "-lora-dropout", "0.05", "-lr", "1e-3", "-steps", "2", "-batch", "2", "-group", "2",
		"-stage2-steps", "2", "-stage2-batch", "2", "-eval-users", "2", "-eval-targets", "2", "-win-targets", "1",
		"-max-response-tokens", "8", "-summary-tokens", "12", "-methods", "Base-Model,POPI-Inference-Only,POPI-Full"}
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	if !strings.Contains(out.String(), "LoRA: adapters r=4, lora_alpha=8, lora_dropout=0.05 on q_proj,v_proj,o_proj,down_proj") {
		t.Fatalf("no LoRA line in the log:\n%s", out.String())
	}
	for _, m := range []string{"inference", "popi-full"} {
		if _, err := os.Stat(filepath.Join(dir, "models", m, "adapter_model.safetensors")); err != nil {
			t.Fatalf("models/%s is not an adapter: %v", m, err)
		}
	}
	table := func(s string) string { return s[strings.Index(s, "| Method"):] }
	var out2 bytes.Buffer
	if code := run(context.Background(), []string{"-resume", "-out", dir}, &out2, &errb); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errb.String())
	}
	if a, b := table(out.String()), table(out2.String()); a[:strings.Index(a, "\n\n")] != b[:strings.Index(b, "\n\n")] {
		t.Fatalf("resumed run's table differs:\n%s\n%s", a, b)
	}
}

// -scorer-url puts Stage 1's frozen-generator scoring on a popi/serve server: the run
// completes and the server answered the scoring requests.
func TestTrainRemoteScorer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a short pipeline")
	}
	m, err := llama.Load("../../models/popi-tiny", llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := llama.LoadTokenizer("../../models/popi-tiny")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(m, serve.Options{ModelName: "popi-tiny", Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var scored atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/completions" {
			scored.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	var out, errb bytes.Buffer
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"-model", "../../models/popi-tiny", "-out", dir, "-steps", "1", "-batch", "1", "-group", "2",
		"-skip-stage2", "-methods", "Base-Model", "-eval-users", "1", "-scorer-url", hs.URL + "/v1", "-scorer-model", "popi-tiny"}
	if code := run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	if !strings.Contains(out.String(), "frozen generator scoring: remote") || scored.Load() == 0 {
		t.Fatalf("%d scoring requests; log:\n%s", scored.Load(), out.String())
	}
}
