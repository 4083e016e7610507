// Package popi owns POPI personalization end to end: data, prompting templates, the
// summary-augmented objective, the two training stages, the baselines, evaluation,
// generator transfer and the run directory.
//
// Data and prompting (model-independent; where a model is needed it is reached through
// the small interfaces Generator and TokenCounter):
//
//   - dataset*.go: loaders for the FSPO-style preference datasets (ELIX, Review, Roleplay)
//     and for AlignX, reading JSONL, JSON arrays and parquet files as users download them,
//     grouping records into users and splitting users into train and held-out sets;
//   - episode*.go: deterministic sampling of episodes (user signals plus target pairs);
//   - template*.go: the prompting templates of the paper (Figure 7, with the Figure 3
//     alternative set) and the rendering of user signals into (system, user) messages;
//   - judge*.go: the LLM-as-a-judge comparison (both candidate orders, ties half) and the
//     exact judge of the synthetic persona world (package popi/world);
//   - client*.go: an OpenAI-compatible chat client with retries, a concurrency limit and an
//     on-disk response cache, serving the judge and black-box transfer generators;
//   - metrics*.go, report*.go: reward accuracy, context overhead, win rate, aggregation
//     over seeds and the Table-1-shaped Markdown and JSON reports.
//
// Training and evaluation (on llama, nn and rl):
//
//   - policy*.go: a llama model as an rl.Policy (sampling through the chat template,
//     differentiable completion log-probs, AdamW as rl.Optimizer);
//   - objective.go: the summary-augmented DPO (Eq. 1) and IPO (Eq. 2) objectives, with the
//     summary-free reference term computed once per pair and cached;
//   - stage*.go: Stage 1 (GRPO on the inference model, reward = minus the objective of the
//     frozen generator, KL to the reference) and Stage 2 (DPO/IPO on the generator
//     conditioned on learned summaries);
//   - method.go, evaluate*.go, transfer.go, summarize.go: the paper's methods and baselines,
//     held-out evaluation, transfer of summaries to other generators, and Algorithm 2;
//   - pipeline.go, run*.go, plot.go: the whole run with its directory (config, metrics
//     JSONL, reward curves, atomic checkpoints, exact resume);
//   - pretrain*.go: pre-training the built-in tiny base model on the persona world.
package popi
