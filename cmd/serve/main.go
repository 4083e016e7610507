// Command serve is popi-go's OpenAI-compatible server (package popi/serve does the work):
// chat and legacy completions (streamed or not, with prompt log-probs for scoring),
// models, health and Prometheus metrics, and POPI's Algorithm 2 as a service — PUT a
// user's signals, the summary writer stores their summary, and chat completions naming
// the user get the generator prompt conditioned on it.
//
//	go run ./cmd/serve -model models/popi-tiny
//	go run ./cmd/serve -model ~/Llama-3.2-1B-Instruct -adapter runs/x/models/generator \
//	    -summarizer runs/x/models/inference -db users.db -addr 127.0.0.1:8080 \
//	    -api-key-env POPI_API_KEY
//
// It listens on loopback unless -addr names another interface.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/serve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "generator: model directory or .gguf file (required)")
	adapter := fs.String("adapter", "", "PEFT LoRA adapter directory applied to -model (e.g. the Stage-2 generator)")
	summarizer := fs.String("summarizer", "", "summary writer: Stage-1 adapter directory (on -model) or full model directory; default: -model itself (inference prompting)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback by default)")
	db := fs.String("db", "popi-users.db", "bbolt file storing users' signals and summaries (\"\": no user endpoints)")
	name := fs.String("name", "", "model id served (default: the -model base name)")
	family := fs.String("family", "elix", "template family for summaries and personalized prompts: elix, review, roleplay, alignx")
	plain := fs.Bool("plain", false, "plain chat template (base, non-instruct models)")
	weights := fs.String("weights", "auto", "in-memory weight type: auto, f32, bf16, f16, q8_0, q4_0 or q4_k_m")
	bf16dot := fs.Bool("bf16-dot", false, "let bf16 weights use the bf16 dot-product instructions (faster, activations rounded to bf16)")
	keyEnv := fs.String("api-key-env", "", "environment variable holding a bearer token required on every request")
	maxBatch := fs.Int("max-batch", 32, "sequences decoded together")
	queue := fs.Int("queue", 64, "requests waiting for the batch before 429")
	timeout := fs.Duration("timeout", 10*time.Minute, "per-request time limit")
	sumTokens := fs.Int("summary-max-tokens", 256, "summary length limit")
	maxBody := fs.Int64("max-body", 4<<20, "request body limit in bytes (signals: 4x)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *model == "" {
		return errors.New("-model is required")
	}
	fam, err := data.ParseFamily(*family)
	if err != nil {
		return err
	}
	m, err := llama.Load(*model, llama.LoadOptions{WeightType: *weights, AllowBF16Dot: *bf16dot})
	if err != nil {
		return err
	}
	tok, err := llama.LoadTokenizer(*model)
	if err != nil {
		return err
	}
	base := m
	if *adapter != "" {
		a, err := llama.LoadAdapter(*adapter, m.Config)
		if err != nil {
			return err
		}
		if m, err = m.WithAdapter(a); err != nil {
			return err
		}
	}
	p := prompt.Prompting{Family: fam}
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(filepath.Clean(*model)), ".gguf")
	}
	opts := serve.Options{ModelName: *name, Tokenizer: tok, Plain: *plain, Prompting: p,
		Engine:       serve.EngineOptions{MaxBatch: *maxBatch, QueueSize: *queue},
		MaxBodyBytes: *maxBody, MaxSignalsBytes: 4 * *maxBody, RequestTimeout: *timeout}
	if *summarizer != "" {
		if opts.Summarizer, err = serve.LoadSummarizer(*summarizer, base, tok, *plain, p, *sumTokens); err != nil {
			return err
		}
		opts.SummarizerName = *summarizer
	}
	if *keyEnv != "" {
		if opts.APIKey = os.Getenv(*keyEnv); opts.APIKey == "" {
			return fmt.Errorf("-api-key-env %s: the variable is empty or unset", *keyEnv)
		}
	}
	if *db != "" {
		if opts.Store, err = serve.OpenStore(*db); err != nil {
			return err
		}
		defer opts.Store.Close()
	}
	srv, err := serve.New(m, opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "serving %s on http://%s (OpenAI API under /v1)\n", *name, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		return nil
	}
}
