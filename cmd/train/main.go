// Command train runs POPI end to end (package popi does the work): Stage 1 (GRPO on the
// preference-inference model), Stage 2 (DPO/IPO on the generator, plus the Raw-Aligned and
// Inference-Aligned baselines), and the evaluation of the seven methods of the paper's
// Table 1 on held-out users, writing everything into a run directory.
//
// With no arguments it runs the built-in default: the synthetic persona world (fixed seed)
// and the built-in tiny base model in models/popi-tiny, in about ten minutes on two cores:
//
//	go run ./cmd/train
//	go run ./cmd/train -seed 2 -out runs/seed2
//	go run ./cmd/train -resume -out runs/seed2      # continue after Ctrl-C
//	go run ./cmd/train -model ~/Llama-3.2-1B-Instruct -data elix_train.jsonl -family elix \
//	    -judge-url https://api.example.com/v1 -judge-model gpt-4o -judge-key-env OPENAI_API_KEY
package main

import (
	"context"
	"errors"
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

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := popi.DefaultPipelineConfig()
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "run directory (default runs/popi-seed<seed>)")
	resume := fs.Bool("resume", false, "continue the run in -out from its checkpoints (its config.json is used)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of episodes, sampling, data order and evaluation (the world's seed is fixed)")
	fs.StringVar(&c.ModelDir, "model", c.ModelDir, "base model: Hugging Face LLaMA directory (config.json, safetensors, tokenizer)")
	fs.BoolVar(&c.Plain, "plain", c.Plain, "render prompts with the plain template (base, non-instruct model)")
	fs.StringVar(&c.WeightType, "weights", c.WeightType, "in-memory weight type: auto, f32, bf16, f16 (training needs f32)")
	data := fs.String("data", "", "comma-separated FSPO-style data files (JSONL/JSON/parquet); empty: the persona world")
	heldOut := fs.String("heldout", "", "comma-separated files of held-out users (default: -heldout-frac of -data's users)")
	fs.StringVar(&c.Family, "family", c.Family, "dataset family: elix, review, roleplay, alignx")
	fs.StringVar(&c.AlignXSignals, "alignx-signals", "raw", "AlignX signal setting: raw or direction")
	fs.StringVar(&c.AlignXSplit, "alignx-split", "", "AlignX held-out test split: demo, pair, ugc, arbitrary (default arbitrary)")
	fs.Float64Var(&c.HeldOutFrac, "heldout-frac", c.HeldOutFrac, "fraction of users held out when -heldout is not given")
	fs.IntVar(&c.Shots, "shots", c.Shots, "signal pairs per user (0: family default)")
	fs.IntVar(&c.TrainTargets, "train-targets", c.TrainTargets, "target pairs per training user")
	fs.IntVar(&c.EvalTargets, "eval-targets", c.EvalTargets, "target pairs per held-out user (reward accuracy)")
	fs.IntVar(&c.EvalUsers, "eval-users", c.EvalUsers, "held-out users evaluated (0: all)")
	fs.IntVar(&c.Eval.WinTargets, "win-targets", c.Eval.WinTargets, "prompts per held-out user answered and judged (0: all targets)")
	fs.IntVar(&c.Eval.MaxTokens, "max-response-tokens", c.Eval.MaxTokens, "response length limit for the win rate")
	fs.StringVar(&c.Templates, "templates", c.Templates, "generator templates: paper or alternative (Figure 3)")
	fs.StringVar(&c.Loss, "loss", c.Loss, "preference objective: dpo (Eq. 1) or ipo (Eq. 2)")
	fs.Float64Var(&c.Beta, "beta", c.Beta, "β of the objective (paper grid: 0.1, 0.05, 0.01)")
	fs.IntVar(&c.Stage1.Steps, "steps", c.Stage1.Steps, "Stage 1 GRPO steps")
	fs.IntVar(&c.Stage1.BatchSize, "batch", c.Stage1.BatchSize, "Stage 1 prompts (users) per step")
	fs.IntVar(&c.Stage1.GroupSize, "group", c.Stage1.GroupSize, "Stage 1 summaries sampled per prompt (GRPO group)")
	fs.Float64Var(&c.Stage1.LR, "lr", c.Stage1.LR, "Stage 1 peak learning rate")
	fs.IntVar(&c.Stage1.Warmup, "warmup", c.Stage1.Warmup, "Stage 1 warm-up steps of the cosine schedule")
	fs.Float64Var(&c.Stage1.Alpha, "alpha", c.Stage1.Alpha, "KL weight (negative: 0.002·β for DPO, 0.002·2/β for IPO)")
	fs.Float64Var(&c.Stage1.Temperature, "temperature", c.Stage1.Temperature, "summary sampling temperature in Stage 1")
	fs.IntVar(&c.Stage1.MaxTokens, "summary-tokens", c.Stage1.MaxTokens, "summary length limit (tokens)")
	fs.IntVar(&c.Stage1.RewardPairs, "reward-pairs", c.Stage1.RewardPairs, "target pairs averaged per Stage-1 reward")
	fs.StringVar(&c.Stage1.Advantage, "advantage", c.Stage1.Advantage, "Stage 1 advantage normalisation: group (GRPO), batch or none")
	fs.IntVar(&c.Stage1.EvalEvery, "eval-every", c.Stage1.EvalEvery, "Stage 1 held-out evaluation every N steps (also before and after training)")
	fs.IntVar(&c.Stage1.EvalUsers, "eval-every-users", c.Stage1.EvalUsers, "held-out users in Stage 1's held-out evaluation (0: all evaluated)")
	fs.IntVar(&c.Stage1.EvalPairs, "eval-every-pairs", c.Stage1.EvalPairs, "target pairs per user in Stage 1's held-out evaluation (0: all)")
	fs.IntVar(&c.Stage1.MicroBatch, "micro-batch", c.Stage1.MicroBatch, "sequences per forward/backward in Stage 1")
	fs.IntVar(&c.Stage1.CheckpointEvery, "ckpt-every", c.Stage1.CheckpointEvery, "checkpoint every N steps (both stages)")
	fs.IntVar(&c.Stage2.Steps, "stage2-steps", c.Stage2.Steps, "Stage 2 (and aligned baselines) steps")
	fs.IntVar(&c.Stage2.BatchSize, "stage2-batch", c.Stage2.BatchSize, "Stage 2 pairs per step")
	fs.Float64Var(&c.Stage2.LR, "stage2-lr", c.Stage2.LR, "Stage 2 peak learning rate")
	fs.IntVar(&c.Stage2.Warmup, "stage2-warmup", c.Stage2.Warmup, "Stage 2 warm-up steps")
	fs.IntVar(&c.Stage2Targets, "stage2-targets", c.Stage2Targets, "target pairs per user used in Stage 2 (0: all)")
	fs.BoolVar(&c.SkipStage2, "skip-stage2", c.SkipStage2, "skip Stage 2 and the aligned baselines")
	fs.BoolVar(&c.PromptDependent, "prompt-dependent", c.PromptDependent, "prompt-dependent summaries (Appendix B ablation)")
	fs.StringVar(&c.Methods, "methods", c.Methods, "comma-separated methods to evaluate, or all")
	fs.Float64Var(&c.SummaryTemperature, "eval-summary-temperature", c.SummaryTemperature, "temperature of evaluation summaries (0: greedy)")
	fs.StringVar(&c.JudgeURL, "judge-url", c.JudgeURL, "OpenAI-compatible API root of the LLM judge (empty: exact persona-world judge)")
	fs.StringVar(&c.JudgeModel, "judge-model", c.JudgeModel, "judge model name")
	fs.StringVar(&c.JudgeKeyEnv, "judge-key-env", c.JudgeKeyEnv, "environment variable holding the judge API key")
	fs.StringVar(&c.TransferModelDir, "transfer-model", c.TransferModelDir, "another local model directory to transfer summaries to")
	fs.StringVar(&c.TransferURL, "transfer-url", c.TransferURL, "OpenAI-compatible API root of a generator to transfer summaries to")
	fs.StringVar(&c.TransferModel, "transfer-name", c.TransferModel, "model name at -transfer-url")
	fs.StringVar(&c.TransferKeyEnv, "transfer-key-env", c.TransferKeyEnv, "environment variable holding the transfer API key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "train: unexpected arguments %q\n", fs.Args())
		return 2
	}
	c.DataFiles, c.HeldOutFiles = splitList(*data), splitList(*heldOut)
	c.Stage2.CheckpointEvery = c.Stage1.CheckpointEvery
	if *out == "" {
		*out = fmt.Sprintf("runs/popi-seed%d", c.Seed)
	}
	res, err := popi.RunPipeline(ctx, c, *out, *resume, stdout)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "train: interrupted; continue with: go run ./cmd/train -resume -out %s\n", *out)
			return 130
		}
		fmt.Fprintf(stderr, "train: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "\n%s\n", popi.HeldOutVerdict(res.Stage1.HeldOut))
	fmt.Fprintf(stdout, "\n%s\n", res.Report.Markdown())
	if res.Transfer != nil {
		fmt.Fprintf(stdout, "%s\n", res.Transfer.Markdown())
	}
	fmt.Fprintln(stdout, popi.SummaryExamplesMarkdown(res.Examples[:min(4, len(res.Examples))]))
	fmt.Fprintf(stdout, "run directory: %s (results.md, results.json, summaries.md, stage1_reward.png/.svg, metrics.jsonl, models/)\n", *out)
	return 0
}
