// Command train runs POPI end to end (package popi does the work): Stage 1 (GRPO on the
// preference-inference model), Stage 2 (DPO/IPO on the generator, plus the Raw-Aligned,
// Inference-Aligned, LoRe, PAL-A and PAL-B baselines), and the evaluation of the ten
// methods of the paper's Table 1 on held-out users, writing everything into a run directory.
//
// With no arguments it runs the built-in default (-preset world): the synthetic persona
// world (fixed seed) and the built-in tiny base model in models/popi-tiny, in minutes on
// two cores. -preset paper starts from the paper's hyperparameters instead (section 5.1;
// popi.PaperPipelineConfig documents the ones the paper leaves open); flags given after it
// override single values. Bases of 100M parameters and more train LoRA adapters (PEFT
// layout, -lora-r, -lora-alpha, -lora-dropout, -lora-targets) on one frozen copy of the
// base shared by every model of the run, also when it is quantized (QLoRA); -lora on|off
// forces the choice. A β list (-beta 0.1,0.05,0.01) runs the paper's grid search, one
// run per β in <out>/beta-<β>, and writes the Table 7 rows to <out>/beta_grid.md.
//
//	go run ./cmd/train
//	go run ./cmd/train -seed 2 -out runs/seed2
//	go run ./cmd/train -resume -out runs/seed2      # continue after Ctrl-C
//	go run ./cmd/train -model ~/Llama-3.2-1B-Instruct -lora-r 16 -lr 1e-4   # LoRA (default above 100M parameters)
//	go run ./cmd/train -model llama-3b-q4_k_m.gguf -lr 1e-4                  # QLoRA on a quantized GGUF base
//	go run ./cmd/train -preset paper -model ~/Llama-3.2-3B-Instruct -family elix \
//	    -data elix/train -heldout elix/test \
//	    -judge-url https://api.openai.com/v1 -judge-key-env OPENAI_API_KEY
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/popi-go/popi/popi"
	"github.com/popi-go/popi/popi/serve"
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

// presetArg finds -preset NAME (or -preset=NAME) among args, so the preset's values can be
// the flags' defaults.
func presetArg(args []string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == "preset" && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "preset="); ok {
			return v
		}
		if a == "" { // "--": end of flags
			break
		}
	}
	return ""
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := popi.PresetConfig(presetArg(args))
	if err != nil {
		fmt.Fprintf(stderr, "train: %v\n", err)
		return 2
	}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("preset", c.Preset, "starting configuration: world (tuned for the built-in world and tiny model) or paper (the paper's hyperparameters)")
	out := fs.String("out", "", "run directory (default runs/popi-seed<seed>)")
	resume := fs.Bool("resume", false, "continue the run in -out from its checkpoints (its config.json is used)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of episodes, sampling, data order and evaluation (the world's seed is fixed)")
	fs.StringVar(&c.ModelDir, "model", c.ModelDir, "base model: Hugging Face LLaMA directory (config.json, safetensors, tokenizer)")
	fs.BoolVar(&c.Plain, "plain", c.Plain, "render prompts with the plain template (base, non-instruct model)")
	fs.StringVar(&c.WeightType, "weights", c.WeightType, "in-memory weight type: auto, f32, bf16, f16, or q8_0, q4_0, q4_k_m (quantized at load, QLoRA); full fine-tuning needs f32")
	fs.StringVar(&c.LoRA.Mode, "lora", c.LoRA.Mode, "LoRA adapters on one frozen base instead of full fine-tuning: auto (on for bases of 100M parameters and more), on, off")
	fs.IntVar(&c.LoRA.R, "lora-r", c.LoRA.R, "LoRA rank r")
	fs.Float64Var(&c.LoRA.Alpha, "lora-alpha", c.LoRA.Alpha, "LoRA lora_alpha (adapter output scaled by alpha/r)")
	fs.Float64Var(&c.LoRA.Dropout, "lora-dropout", c.LoRA.Dropout, "LoRA lora_dropout (probability, 0 <= p < 1)")
	loraTargets := fs.String("lora-targets", strings.Join(c.LoRA.Targets, ","), "comma-separated adapted projections (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj); empty: all seven")
	data := fs.String("data", "", "comma-separated data files or directories of shards (JSONL/JSON/parquet); empty: the persona world")
	heldOut := fs.String("heldout", "", "comma-separated held-out files: the official test split (training users, unseen prompts) or held-out users (default: -heldout-frac of -data's users)")
	fs.StringVar(&c.Family, "family", c.Family, "dataset family: elix, review, roleplay, alignx")
	fs.StringVar(&c.AlignXSignals, "alignx-signals", "raw", "AlignX signal setting: raw or direction")
	fs.StringVar(&c.AlignXSplit, "alignx-split", "", "AlignX held-out test split: demo, pair, ugc, arbitrary (default arbitrary)")
	fs.Float64Var(&c.HeldOutFrac, "heldout-frac", c.HeldOutFrac, "fraction of users held out when -heldout is not given")
	fs.IntVar(&c.Shots, "shots", c.Shots, "signal pairs per episode (0: family default, 4 ELIX/Review, 8 Roleplay)")
	fs.StringVar(&c.Episodes, "episodes", c.Episodes, "training episodes: fixed (one per user) or per-step (fresh signal sets every step, the paper's)")
	fs.IntVar(&c.TrainSamples, "train-samples", c.TrainSamples, "training samples for per-step episodes (0: all, -1: the paper's 20000, AlignX 92000)")
	fs.IntVar(&c.TrainTargets, "train-targets", c.TrainTargets, "target pairs per training user (fixed episodes)")
	fs.IntVar(&c.EvalTargets, "eval-targets", c.EvalTargets, "target pairs per held-out episode (reward accuracy)")
	fs.IntVar(&c.EvalUsers, "eval-users", c.EvalUsers, "held-out episodes evaluated (0: all)")
	fs.IntVar(&c.Eval.WinTargets, "win-targets", c.Eval.WinTargets, "prompts per held-out user answered and judged (0: all targets)")
	fs.IntVar(&c.Eval.MaxTokens, "max-response-tokens", c.Eval.MaxTokens, "response length limit for the win rate")
	fs.StringVar(&c.Templates, "templates", c.Templates, "generator templates: paper or alternative (Figure 3)")
	fs.StringVar(&c.Loss, "loss", c.Loss, "preference objective: dpo (Eq. 1) or ipo (Eq. 2)")
	fs.BoolVar(&c.LogProbMean, "logp-mean", c.LogProbMean, "average log-probs over response tokens (TRL's loss_type=\"ipo\"); default sums, as Eq. 1-2")
	betas := fs.String("beta", strconv.FormatFloat(c.Beta, 'g', -1, 64), "β of the objective, TRL's DPOConfig.beta; a list (0.1,0.05,0.01) runs the paper's grid search")
	fs.IntVar(&c.Stage1.Steps, "steps", c.Stage1.Steps, "Stage 1 GRPO steps")
	fs.IntVar(&c.Stage1.BatchSize, "batch", c.Stage1.BatchSize, "Stage 1 prompts (users) per step")
	fs.IntVar(&c.Stage1.GroupSize, "group", c.Stage1.GroupSize, "Stage 1 summaries sampled per prompt (GRPO group)")
	fs.Float64Var(&c.Stage1.LR, "lr", c.Stage1.LR, "Stage 1 peak learning rate")
	fs.IntVar(&c.Stage1.Warmup, "warmup", c.Stage1.Warmup, "Stage 1 warm-up steps of the cosine schedule")
	fs.Float64Var(&c.Stage1.Alpha, "alpha", c.Stage1.Alpha, "Stage-1 KL weight, TRL's GRPOConfig.beta (negative: the paper's 0.002·β for DPO, 0.002·2/β for IPO)")
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
	scorerURLs := fs.String("scorer-url", "", "comma-separated OpenAI-compatible API roots (cmd/serve, vLLM) doing the frozen generator's Stage-1 scoring through /v1/completions prompt log-probs")
	scorerModel := fs.String("scorer-model", "", "model name sent to -scorer-url (the servers' id of the base model)")
	scorerKeyEnv := fs.String("scorer-key-env", "", "environment variable holding the -scorer-url API key")
	scorerMaxTokens := fs.Int("scorer-max-tokens", 0, "max_tokens sent with scoring requests (1 for servers that refuse 0)")
	var transfers listFlag
	fs.Var(&transfers, "transfer", "generator to transfer summaries to, repeatable: [NAME=]DIR or [NAME=]URL#MODEL[#KEYENV]")
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
	c.LoRA.Targets = splitList(*loraTargets)
	if c.LoRA.R == 0 || c.LoRA.Alpha == 0 {
		fmt.Fprintf(stderr, "train: -lora-r and -lora-alpha must be positive (got %d and %g)\n", c.LoRA.R, c.LoRA.Alpha)
		return 2
	}
	if *loraTargets != "" && len(c.LoRA.Targets) == 0 {
		fmt.Fprintf(stderr, "train: -lora-targets %q names no projection\n", *loraTargets)
		return 2
	}
	c.Stage2.CheckpointEvery = c.Stage1.CheckpointEvery
	for _, t := range transfers {
		spec, err := popi.ParseTransferSpec(t)
		if err != nil {
			fmt.Fprintf(stderr, "train: %v\n", err)
			return 2
		}
		c.Transfers = append(c.Transfers, spec)
	}
	if urls := splitList(*scorerURLs); len(urls) > 0 {
		key := ""
		if *scorerKeyEnv != "" {
			if key = os.Getenv(*scorerKeyEnv); key == "" {
				fmt.Fprintf(stderr, "train: -scorer-key-env %s: the variable is empty or unset\n", *scorerKeyEnv)
				return 2
			}
		}
		rs, err := serve.NewRemoteScorer(urls, *scorerModel, key)
		if err != nil {
			fmt.Fprintf(stderr, "train: %v\n", err)
			return 2
		}
		rs.MaxTokens = *scorerMaxTokens
		c.Scorer = rs
	}
	grid, err := popi.ParseBetas(*betas)
	if err != nil {
		fmt.Fprintf(stderr, "train: %v\n", err)
		return 2
	}
	c.Beta = grid[0]
	if *out == "" {
		*out = fmt.Sprintf("runs/popi-seed%d", c.Seed)
	}
	if len(grid) > 1 {
		g, err := popi.RunBetaGrid(ctx, c, grid, *out, *resume, stdout)
		if err != nil {
			return fail(stderr, err, *out)
		}
		fmt.Fprintf(stdout, "\n%s\nβ grid in %s (beta_grid.md, beta_grid.json, one run directory per β)\n", g.Markdown(), *out)
		return 0
	}
	res, err := popi.RunPipeline(ctx, c, *out, *resume, stdout)
	if err != nil {
		return fail(stderr, err, *out)
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

func fail(stderr io.Writer, err error, out string) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "train: interrupted; continue with: go run ./cmd/train -resume -out %s\n", out)
		return 130
	}
	fmt.Fprintf(stderr, "train: %v\n", err)
	return 1
}
