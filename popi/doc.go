// Package popi owns POPI personalization itself: the summary-augmented objective, the two
// training stages, the paper's methods and baselines, their evaluation, generator transfer,
// Algorithm 2 and the whole run with its directory. What it builds on lives below it:
// datasets and episodes in popi/data, templates and the chat encoding in popi/prompt, the
// OpenAI-compatible client in popi/openai, the persona world in popi/world, models in llama,
// losses and loops in rl.
//
//   - policy.go, evaluate_generate.go: a llama model as an rl.Policy (sampling through the
//     chat template, differentiable completion log-probs, AdamW as rl.Optimizer), and
//     Generator, LocalGenerator answering rendered prompts with a local model;
//   - objective.go: the summary-augmented DPO (Eq. 1) and IPO (Eq. 2) objectives, with the
//     summary-free reference term computed once per pair and cached;
//   - stage*.go: Stage 1 (GRPO on the inference model, reward = minus the objective of the
//     frozen generator, KL to the reference) and Stage 2 (DPO/IPO on the generator
//     conditioned on learned summaries), with checkpoints and exact resume;
//   - method.go: the paper's methods, what each conditions on, and the summaries they use;
//   - summarize.go, summary_record.go: summaries written by an inference model, and
//     Algorithm 2 (a user's summary written once, stored, reused for every prompt);
//   - judge*.go, metrics.go, report.go: the LLM-as-a-judge comparison (both candidate
//     orders, ties half) and the exact judge of the persona world, reward accuracy, context
//     overhead, win rate, aggregation over seeds and the Table-1-shaped reports;
//   - evaluate*.go, transfer.go: held-out evaluation of the methods and transfer of
//     summaries to other generators (Tables 2-4);
//   - pipeline_config.go, plan.go: PipelineConfig (config.json) and Plan, the configuration
//     parsed, checked and resolved once (what config.json records is what runs);
//   - session.go, pipeline*.go, evaluate_run.go: the setup a run and its re-evaluation
//     share (run directory, episodes, base model, judge), the run in phases (data, Stage 1,
//     Stage 2, evaluation, transfer) and the re-evaluation of a finished run;
//   - run*.go, plot.go, model_dir.go: the run directory (metrics JSONL, atomic files and
//     checkpoints, exact resume), reward curves, and loading model directories.
//
// The built-in tiny base model's recipe (popi/tinybase) builds on this package, never the
// other way round.
package popi
