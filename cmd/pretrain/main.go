// Command pretrain trains popi-go's built-in tiny LLaMA-3-architecture base model on the
// synthetic persona world and writes it as a Hugging Face directory. With no flags it
// reproduces the committed checkpoint models/popi-tiny from its seed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/tinybase"
	"github.com/popi-go/popi/popi/world"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pretrain:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	start := time.Now()
	c := tinybase.DefaultConfig()
	fs := flag.NewFlagSet("pretrain", flag.ContinueOnError)
	fs.SetOutput(stdout)
	out := fs.String("out", "models/popi-tiny", "output model directory (written atomically)")
	metrics := fs.String("metrics", "", "metrics JSONL path (default <out>.metrics.jsonl beside the directory)")
	minutes := fs.Float64("minutes", 0, "wall-time budget in minutes; training stops early and still saves (0 = none)")
	evalN := fs.Int("eval", 200, "held-out pairs/users for the quality report (0 = skip)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of weight initialization and batch order")
	fs.Uint64Var(&c.World.Seed, "world-seed", c.World.Seed, "persona world seed")
	fs.Uint64Var(&c.CorpusSeed, "corpus-seed", c.CorpusSeed, "corpus sampling seed")
	fs.IntVar(&c.Examples, "examples", c.Examples, "corpus examples")
	fs.Float64Var(&c.TopicSwapRate, "topic-swap", c.TopicSwapRate, "fraction of examples whose topics are renamed to made-up words")
	fs.Float64Var(&c.ConciseSummaryRate, "concise", c.ConciseSummaryRate, "share of summary targets in the concise register, the rest instruct-style (0: the world's default)")
	fs.Float64Var(&c.CleanSummaryRate, "clean", c.CleanSummaryRate, "share of summary-conditioned answers whose summary is concise and correct (0: the world's default)")
	fs.IntVar(&c.MinSummaryShots, "min-summary-shots", c.MinSummaryShots, "summaries are written from between this many and 4 pairs (0: always 4)")
	fs.BoolVar(&c.AnswerAllTopics, "answer-all-topics", c.AnswerAllTopics, "answered prompts cover every topic, held-out ones included (users and pairs stay training ones)")
	fs.IntVar(&c.TokenizerExamples, "tokenizer-examples", c.TokenizerExamples, "examples the BPE is trained on")
	fs.IntVar(&c.VocabSize, "vocab", c.VocabSize, "vocabulary size (bytes + merges + specials)")
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "hidden size")
	fs.IntVar(&c.Intermediate, "ffn", c.Intermediate, "MLP intermediate size")
	fs.IntVar(&c.Layers, "layers", c.Layers, "decoder layers")
	fs.IntVar(&c.Heads, "heads", c.Heads, "attention heads")
	fs.IntVar(&c.KVHeads, "kv-heads", c.KVHeads, "key/value heads (GQA)")
	fs.IntVar(&c.MaxPositions, "max-positions", c.MaxPositions, "max_position_embeddings")
	fs.IntVar(&c.Steps, "steps", c.Steps, "optimizer steps")
	fs.IntVar(&c.Batch, "batch", c.Batch, "sequences per step")
	fs.IntVar(&c.Warmup, "warmup", c.Warmup, "warm-up steps")
	fs.Float64Var(&c.LR, "lr", c.LR, "peak learning rate")
	fs.Float64Var(&c.FinalLR, "final-lr", c.FinalLR, "final learning rate")
	fs.Float64Var(&c.WeightDecay, "wd", c.WeightDecay, "AdamW weight decay")
	fs.Float64Var(&c.Clip, "clip", c.Clip, "gradient-norm clip")
	fs.Float64Var(&c.PromptWeight, "prompt-weight", c.PromptWeight, "loss weight of prompt tokens")
	fs.IntVar(&c.LogEvery, "log-every", c.LogEvery, "steps between progress lines")
	mix := fs.String("mix", "", "comma-separated weights of the corpus kinds summarize,answer-summary,answer-pairs,answer-base (default: the world's)")
	fs.IntVar(&c.AnnealSteps, "anneal-steps", c.AnnealSteps, "last steps drawn from the annealing corpus (0: none)")
	fs.IntVar(&c.AnnealExamples, "anneal-examples", c.AnnealExamples, "examples of the annealing corpus")
	annealMix := fs.String("anneal-mix", "", "comma-separated kind weights of the annealing corpus (default: the recipe's)")
	evalOnly := fs.String("eval-only", "", "only run the quality report on this model directory (world from -world-seed)")
	snapEvery := fs.Int("snapshot-every", 0, "save <out>.partial every N steps (0 = never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *minutes < 0 || *evalN < 0 || *snapEvery < 0 {
		return fmt.Errorf("-minutes, -eval and -snapshot-every must be >= 0")
	}
	for _, m := range []struct {
		flag, val string
		dst       *[]float64
	}{{"mix", *mix, &c.Mix}, {"anneal-mix", *annealMix, &c.AnnealMix}} {
		if m.val == "" {
			continue
		}
		*m.dst = nil
		for _, f := range strings.Split(m.val, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || v < 0 {
				return fmt.Errorf("-%s: bad weight %q", m.flag, f)
			}
			*m.dst = append(*m.dst, v)
		}
		if len(*m.dst) != 4 {
			return fmt.Errorf("-%s needs 4 weights, got %d", m.flag, len(*m.dst))
		}
	}
	if *evalOnly != "" {
		m, tok, err := tinybase.Load(*evalOnly)
		if err != nil {
			return err
		}
		w, err := world.New(c.World)
		if err != nil {
			return err
		}
		rep, err := tinybase.Evaluate(m, tok, w, tinybase.EvalConfig{N: max(1, *evalN), Summaries: min(96, max(1, *evalN/2)), Seed: 1})
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, rep.String())
		fmt.Fprintf(stdout, "wall time: %s\n", time.Since(start).Round(time.Second))
		return nil
	}
	c.Budget = time.Duration(*minutes * float64(time.Minute))
	c.Log = stdout
	c.MetricsPath = *metrics
	if c.MetricsPath == "" {
		c.MetricsPath = filepath.Clean(*out) + ".metrics.jsonl"
	}
	if *snapEvery > 0 {
		c.SnapshotEvery = *snapEvery
		c.Snapshot = func(step int, m *llama.Model, tok *llama.Tokenizer) error {
			dir := filepath.Clean(*out) + ".partial"
			if err := tinybase.Save(dir, m, tok); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "snapshot at step %d saved to %s\n", step, dir)
			return nil
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	res, err := tinybase.Pretrain(ctx, c)
	if err != nil {
		return err
	}
	if err := tinybase.Save(*out, res.Model, res.Tokenizer); err != nil {
		return err
	}
	if c.Snapshot != nil {
		if err := os.RemoveAll(filepath.Clean(*out) + ".partial"); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "saved %s: %d steps, %d tokens, loss %.4f -> %.4f, longest example %d tokens\n",
		*out, res.Steps, res.Tokens, res.FirstLoss, res.LastLoss, res.MaxLen)
	fmt.Fprintf(stdout, "training wall time: %s\n", res.Wall.Round(time.Second))
	if *evalN > 0 {
		rep, err := tinybase.Evaluate(res.Model, res.Tokenizer, res.World, tinybase.EvalConfig{N: *evalN, Summaries: min(96, max(1, *evalN/2)), Seed: 1})
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, rep.String())
	}
	fmt.Fprintf(stdout, "wall time: %s\n", time.Since(start).Round(time.Second))
	return nil
}
