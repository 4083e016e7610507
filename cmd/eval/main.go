// Command eval re-evaluates the saved models of a POPI run directory (written by
// cmd/train) on its held-out users: reward accuracy, Avg. Len. and win rate of each method,
// optionally with another judge, another inference model (-inference DIR, whose summaries
// are regenerated), or generator transfer to another model (-transfer-model DIR) or API.
//
//	go run ./cmd/eval -run runs/popi-seed1
//	go run ./cmd/eval -run runs/popi-seed1 -transfer-model models/other -out eval-transfer
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/popi-go/popi/popi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o popi.EvalRunOptions
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("run", "", "run directory written by cmd/train (required)")
	fs.StringVar(&o.Inference, "inference", "", "inference-model directory whose summaries replace the run's")
	fs.StringVar(&o.Methods, "methods", "", "comma-separated methods (default: the run's)")
	fs.StringVar(&o.JudgeURL, "judge-url", "", "OpenAI-compatible API root of the LLM judge")
	fs.StringVar(&o.JudgeModel, "judge-model", "", "judge model name")
	fs.StringVar(&o.JudgeKeyEnv, "judge-key-env", "", "environment variable holding the judge API key")
	fs.StringVar(&o.TransferModelDir, "transfer-model", "", "local model directory to transfer the summaries to")
	fs.StringVar(&o.TransferURL, "transfer-url", "", "OpenAI-compatible API root of a transfer generator")
	fs.StringVar(&o.TransferModel, "transfer-name", "", "model name at -transfer-url")
	fs.StringVar(&o.TransferKey, "transfer-key-env", "", "environment variable holding the transfer API key")
	fs.StringVar(&o.Out, "out", "eval", "prefix of the files written in the run directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "eval: -run DIR is required (and no other arguments)")
		return 2
	}
	rep, tr, err := popi.EvaluateRun(ctx, *dir, o, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "eval: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "\n%s\n", rep.Markdown())
	if tr != nil {
		fmt.Fprintf(stdout, "%s\n", tr.Markdown())
	}
	return 0
}
