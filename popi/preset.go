package popi

import (
	"fmt"
	"strings"
)

// Presets and episode modes.
const (
	PresetWorld = "world"
	PresetPaper = "paper"

	EpisodesFixed   = "fixed"
	EpisodesPerStep = "per-step"
)

// PresetConfig returns the configuration a preset starts from:
//
//   - "world" (the default, DefaultPipelineConfig): today's tuned values for the built-in
//     persona world and tiny model, with fixed episodes;
//   - "paper" (PaperPipelineConfig): every hyperparameter the paper states, for real data
//     and LLaMA-3.2-3B-Instruct.
func PresetConfig(name string) (PipelineConfig, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", PresetWorld:
		return DefaultPipelineConfig(), nil
	case PresetPaper:
		return PaperPipelineConfig(), nil
	}
	return PipelineConfig{}, fmt.Errorf("popi: unknown preset %q (want world or paper)", name)
}

// PaperPipelineConfig is the paper's setting (section 5.1, Algorithm 1, Appendices A-C);
// what the paper states and what it leaves to us:
//
// Stated: both πφ and πθ start from LLaMA-3.2-3B-Instruct with its default chat template
// (ModelDir must be given: -model); batch size 8, learning rate 1e-6 and a cosine schedule
// with 150 warm-up steps in both stages and for every aligned baseline; α = 0.002·β for DPO
// (0.002·2/β for IPO: Stage1.Alpha -1 selects it); β from the grid {0.1, 0.05, 0.01} (0.01,
// the value Table 7 selects on ELIX, is the default; `-beta 0.1,0.05,0.01` runs the
// selection); 20k training samples for ELIX/Review/Roleplay and 92k for AlignX
// (TrainSamples -1); 4 signal pairs for ELIX/Review and 8 for Roleplay (Shots 0); one
// preference example per Stage-1 reward and per Stage-2 summary (Algorithm 1, lines 5 and
// 14-15: RewardPairs 1); fresh signal sets per step (Episodes "per-step"); GPT-4o judge
// with the Appendix G template (JudgeModel; -judge-url and -judge-key-env must be given).
//
// Our choices (not stated): one pass over the training samples in each stage (Steps 0:
// ceil(samples / batch)); GRPO group of 8 summaries (TRL's num_generations default),
// sampling temperature 1 and top-p 1 (TRL's defaults); summaries up to 1024 tokens (the
// paper's unoptimised summaries average ~536 tokens, Table 1); greedy evaluation summaries;
// held-out episodes of one target each (as FSPO builds test episodes: shots + 1 example),
// one judged answer per episode of up to 512 tokens; micro-batches of 4 sequences;
// checkpoints every 100 steps; 20% of users held out when no -heldout file is given.
func PaperPipelineConfig() PipelineConfig {
	return PipelineConfig{
		Preset: PresetPaper, Seed: 1, Family: "elix", HeldOutFrac: 0.2, Episodes: EpisodesPerStep, TrainSamples: -1,
		TrainTargets: 1, EvalTargets: 1, Templates: "paper", Loss: "dpo", Beta: 0.01,
		Stage1: Stage1Config{Steps: 0, BatchSize: 8, GroupSize: 8, LR: 1e-6, Warmup: 150, Alpha: -1, Temperature: 1,
			TopP: 1, MaxTokens: 1024, RewardPairs: 1, MicroBatch: 4, CheckpointEvery: 100},
		Stage2:        Stage2Config{Steps: 0, BatchSize: 8, LR: 1e-6, Warmup: 150, MicroBatch: 4, CheckpointEvery: 100},
		Stage2Targets: 1, Methods: "all",
		Eval:       EvalConfig{MaxTokens: 512, WinTargets: 1, JudgeWorkers: 4},
		JudgeModel: "gpt-4o",
	}
}

// paperTrainSamples is the paper's number of training samples for a family.
func paperTrainSamples(alignX bool) int {
	if alignX {
		return 92000
	}
	return 20000
}

// PresetDescription is the one line a run prints about its preset.
func PresetDescription(name string) string {
	switch name {
	case PresetPaper:
		return "paper (the paper's hyperparameters; unstated ones are documented choices, see PaperPipelineConfig)"
	case PresetWorld, "":
		return "world (tuned defaults for the built-in persona world and tiny model)"
	}
	return name
}
