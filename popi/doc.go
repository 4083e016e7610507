// Package popi owns POPI personalization itself: the summary-augmented objective, the two
// training stages, the paper's methods and baselines, their evaluation, generator transfer,
// Algorithm 2 and the whole run with its directory. What it builds on lives below it:
// datasets and episodes in popi/data, templates and the chat encoding in popi/prompt, the
// OpenAI-compatible client in popi/openai, the persona world in popi/world, models in llama,
// losses and loops in rl.
//
//   - policy*.go, evaluate_generate.go: a llama model as an rl.Policy (sampling through the
//     chat template, differentiable completion log-probs, entropies from the logits, AdamW
//     as rl.Optimizer), and Generator, LocalGenerator answering rendered prompts with a
//     local model;
//   - objective.go: the summary-augmented DPO (Eq. 1) and IPO (Eq. 2) objectives, with the
//     summary-free reference term computed once per pair and cached (sequence log-probs
//     summed, or averaged per token as TRL's IPO with Pref.MeanLogProbs);
//   - stage*.go: Stage 1 (GRPO on the inference model, reward = minus the objective of the
//     frozen generator, KL to the reference; on fixed prompts or on training samples whose
//     episodes are drawn afresh every step) and Stage 2 (DPO/IPO on the generator
//     conditioned on learned summaries), with checkpoints and exact resume;
//   - lora.go, stage1_timing.go: LoRA adapters instead of full fine-tuning (the default for
//     bases of 100M parameters and more): πφ, πφ_ref and every generator are views of one
//     frozen base (quantized too: QLoRA), checkpoints and final models PEFT adapter
//     directories; per-phase wall time and throughput of every Stage-1 step;
//   - method.go: the paper's methods, what each conditions on, and the summaries they use;
//   - latent*.go: the latent-embedding baselines LoRe, PAL-A and PAL-B (one learned user
//     embedding injected in place of a special token, trained jointly with the generator;
//     held-out users' weights fitted from their signal pairs) and their evaluation;
//   - summarize.go, summary_record.go: summaries written by an inference model, and
//     Algorithm 2 (a user's summary written once, stored, reused for every prompt);
//   - judge*.go, metrics.go, report*.go: the LLM-as-a-judge comparison (both candidate
//     orders, ties half) and the exact judge of the persona world, reward accuracy, context
//     overhead, win rate, aggregation over seeds, the Table-1 layout, the Tables 2-4 layout
//     (one win-rate column per generator and their average) and the per-persona breakdown;
//   - evaluate*.go, transfer*.go: held-out evaluation of the methods (per persona too) and
//     transfer of summaries to several generators, each against its own Base-Model;
//   - pipeline_config.go, preset.go, plan.go: PipelineConfig (config.json), the presets
//     (world: tuned for the built-in model; paper: the paper's hyperparameters) and Plan,
//     the configuration parsed, checked and resolved once (config.json records what runs);
//   - session*.go, pipeline*.go, evaluate_run.go, beta_grid.go: the setup a run and its
//     re-evaluation share (data read and episodes drawn before the run directory exists,
//     held-out users or the official test split, run directory, base model, judge), the
//     run in phases (data, Stage 1, Stage 2, evaluation, transfer), the re-evaluation of a
//     finished run (other templates, AlignX splits, inference models, generators) and the
//     paper's β grid (Table 7);
//   - run*.go, plot.go, model_dir.go: the run directory (metrics JSONL, atomic files and
//     checkpoints, exact resume), reward curves, and loading model directories.
//
// The built-in tiny base model's recipe (popi/tinybase) builds on this package, never the
// other way round.
package popi
