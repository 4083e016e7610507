// Command eval re-evaluates the saved models of a POPI run directory (written by
// cmd/train) without retraining: reward accuracy, Avg. Len. and win rate of each method,
// optionally with another judge, another inference model (-inference DIR, whose summaries
// are regenerated and whose rows are labelled "Inference-Prompting (NAME as Inference
// Model)"), other generator templates (-templates alternative: the Appendix C ablation),
// other AlignX test splits (-split demo|pair|ugc|arbitrary|all, with -heldout FILES for the
// split's test file), and generator transfer to several frozen generators, each judged
// against its own Base-Model (-transfer, repeatable: transfer.md has the Tables 2-4 layout
// with an average column).
//
//	go run ./cmd/eval -run runs/popi-seed1
//	go run ./cmd/eval -run runs/popi-seed1 -templates alternative -out eval-alt
//	go run ./cmd/eval -run runs/alignx -split all -heldout alignx_test/arbitrary.parquet
//	go run ./cmd/eval -run runs/elix -transfer Llama-1b=/models/Llama-3.2-1B-Instruct \
//	    -transfer GPT-4o-mini=https://api.openai.com/v1#gpt-4o-mini#OPENAI_API_KEY
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/popi-go/popi/popi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o popi.EvalRunOptions
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("run", "", "run directory written by cmd/train (required)")
	fs.StringVar(&o.Inference, "inference", "", "inference-model directory whose summaries replace the run's")
	fs.StringVar(&o.InferenceName, "inference-name", "", "name of that model in the row labels (default: its directory name)")
	fs.StringVar(&o.Methods, "methods", "", "comma-separated methods (default: the run's)")
	fs.StringVar(&o.Templates, "templates", "", "generator templates: paper or alternative (Appendix C); default the run's")
	fs.StringVar(&o.Split, "split", "", "AlignX test split to evaluate: demo, pair, ugc, arbitrary, or all four")
	heldOut := fs.String("heldout", "", "comma-separated held-out files replacing the run's (e.g. an AlignX test split)")
	fs.StringVar(&o.JudgeURL, "judge-url", "", "OpenAI-compatible API root of the LLM judge")
	fs.StringVar(&o.JudgeModel, "judge-model", "", "judge model name")
	fs.StringVar(&o.JudgeKeyEnv, "judge-key-env", "", "environment variable holding the judge API key")
	var transfers listFlag
	fs.Var(&transfers, "transfer", "generator to transfer the summaries to, repeatable: [NAME=]DIR or [NAME=]URL#MODEL[#KEYENV]")
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
	for _, t := range transfers {
		spec, err := popi.ParseTransferSpec(t)
		if err != nil {
			fmt.Fprintf(stderr, "eval: %v\n", err)
			return 2
		}
		o.Transfers = append(o.Transfers, spec)
	}
	for _, f := range strings.Split(*heldOut, ",") {
		if f = strings.TrimSpace(f); f != "" {
			o.HeldOutFiles = append(o.HeldOutFiles, f)
		}
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
