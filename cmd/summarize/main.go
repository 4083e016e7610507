// Command summarize is POPI inference (Algorithm 2): it writes a user's preference summary
// once with the trained inference model, stores it, and answers any number of prompts with
// a generator conditioned on that same stored summary.
//
//	go run ./cmd/summarize -model runs/popi-seed1/models/inference \
//	    -data runs/popi-seed1/data/heldout.jsonl -user <id> -out user.json
//	go run ./cmd/summarize -out user.json -generator models/popi-tiny -prompts prompts.txt
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/popi-go/popi/internal/safefile"
	"github.com/popi-go/popi/popi"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func readLines(path string) ([]string, error) {
	f, _, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

// usageError is a missing or inconsistent flag (exit status 2).
type usageError string

func (e usageError) Error() string { return string(e) }

// maxSignalsFile caps a -signals file (rendered user signals are a few kilobytes).
const maxSignalsFile = 16 << 20

// readSignals reads the user's rendered signals from a file or renders a user's pairs of
// an FSPO-style data file.
func readSignals(fam data.Family, file, dataFile, user string, shots int) (string, error) {
	switch {
	case file != "":
		b, err := safefile.ReadFile(file, maxSignalsFile)
		return string(b), err
	case dataFile != "" && user != "":
		d, err := data.LoadFSPO(fam, dataFile)
		if err != nil {
			return "", err
		}
		return popi.UserSignals(d, user, shots)
	}
	return "", usageError("give the user's signals with -signals FILE or -data FILE -user ID")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("summarize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "trained inference model directory (needed unless -out already holds the summary)")
	family := fs.String("family", "elix", "dataset family (selects the templates): elix, review, roleplay")
	signalsFile := fs.String("signals", "", "file with the user's rendered signals")
	dataFile := fs.String("data", "", "FSPO-style data file to take the user's signals from (with -user)")
	user := fs.String("user", "", "user ID in -data")
	shots := fs.Int("shots", 0, "signal pairs taken from -data (0: family default)")
	out := fs.String("out", "", "summary file (JSON); an existing one is reused, not rewritten (required)")
	maxTokens := fs.Int("max-tokens", 64, "summary length limit")
	temp := fs.Float64("temperature", 0, "summary sampling temperature (0: greedy)")
	seed := fs.Uint64("seed", 1, "sampling seed")
	plain := fs.Bool("plain", false, "plain template (base, non-instruct models)")
	generator := fs.String("generator", "", "generator model directory answering -prompts")
	prompts := fs.String("prompts", "", "file of user prompts, one per line")
	respTokens := fs.Int("max-response-tokens", 128, "response length limit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "summarize: -out FILE is required (and no other arguments)")
		return 2
	}
	fam, err := data.ParseFamily(*family)
	if err != nil {
		fmt.Fprintf(stderr, "summarize: %v\n", err)
		return 2
	}
	p := prompt.Prompting{Family: fam}
	w := &popi.SummaryWriter{Model: *model, Plain: *plain, Family: fam, User: *user, MaxTokens: *maxTokens, Temperature: *temp, Seed: *seed}
	rec, reused, err := popi.StoredSummary(*out, func() (*popi.SummaryRecord, error) {
		signals, err := readSignals(fam, *signalsFile, *dataFile, *user, *shots)
		if err != nil {
			return nil, err
		}
		if *model == "" {
			return nil, usageError("-model DIR (the trained inference model) is required to write a summary")
		}
		return w.Write(ctx, signals)
	})
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "summarize: %v\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "summarize: %v\n", err)
		return 1
	case reused:
		fmt.Fprintf(stderr, "summarize: reusing the stored summary in %s\n", *out)
	}
	fmt.Fprintf(stdout, "summary (%d tokens): %s\n", rec.Tokens, rec.Summary)
	if *prompts == "" {
		return 0
	}
	if *generator == "" {
		fmt.Fprintln(stderr, "summarize: -prompts needs -generator DIR")
		return 2
	}
	xs, err := readLines(*prompts)
	if err != nil {
		fmt.Fprintf(stderr, "summarize: %v\n", err)
		return 1
	}
	g, tok, err := popi.LoadBase(*generator, "")
	if err != nil {
		fmt.Fprintf(stderr, "summarize: %v\n", err)
		return 1
	}
	enc, err := prompt.NewChatEncoder(tok, g.Config, *plain)
	if err != nil {
		fmt.Fprintf(stderr, "summarize: %v\n", err)
		return 1
	}
	lg := &popi.LocalGenerator{Model: g, Enc: enc, MaxTokens: *respTokens, Seed: *seed}
	resp, err := popi.Respond(ctx, lg, p, rec.Summary, xs)
	if err != nil {
		fmt.Fprintf(stderr, "summarize: %v\n", err)
		return 1
	}
	for i, x := range xs {
		fmt.Fprintf(stdout, "\n# Prompt %d\n%s\n# Response\n%s\n", i+1, x, resp[i])
	}
	return 0
}
