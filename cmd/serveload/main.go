// Command serveload is a bounded load test of a local cmd/serve (package popi/serve's
// RunLoad does the work): -clients concurrent clients send chat, streamed chat and
// echo+logprobs completions for -duration, then it stops and prints what it saw as JSON.
// It targets loopback addresses only. It exits 1 when any response was an error other
// than 429 or malformed.
//
//	go run ./cmd/serveload -url http://127.0.0.1:8080/v1 -clients 64 -duration 60s -pid PID
//
// scripts/serve_load.sh starts a server and runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/popi-go/popi/popi/serve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serveload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8080/v1", "API root of the server (loopback only)")
	model := fs.String("model", "", "model name to send")
	clients := fs.Int("clients", 64, "concurrent clients")
	duration := fs.Duration("duration", 60*time.Second, "test length")
	maxTokens := fs.Int("max-tokens", 32, "max_tokens per request")
	pid := fs.Int("pid", 0, "server process id, sampled for resident memory")
	keyEnv := fs.String("api-key-env", "", "environment variable holding the server's API key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o := serve.LoadOptions{URL: *url, Model: *model, Clients: *clients, Duration: *duration, MaxTokens: *maxTokens,
		ServerPID: *pid, Progress: stderr}
	if *keyEnv != "" {
		o.APIKey = os.Getenv(*keyEnv)
	}
	res, err := serve.RunLoad(ctx, o)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	if res.Errors > 0 {
		return errors.New("errors other than 429 (see error_sample)")
	}
	if res.OK == 0 {
		return errors.New("no request succeeded")
	}
	return nil
}
