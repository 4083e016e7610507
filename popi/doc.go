// Package popi owns the data side of POPI personalization and, later, its training stages.
//
// The files in this package that are model-independent cover:
//
//   - dataset*.go: loaders for the FSPO-style preference datasets (ELIX, Review, Roleplay)
//     and for AlignX, reading JSONL, JSON arrays and parquet files as users download them,
//     grouping records into users and splitting users into train and held-out sets;
//   - episode*.go: deterministic sampling of episodes (user signals plus target pairs);
//   - template*.go: the prompting templates of the paper (Figure 7, with the Figure 3
//     alternative set) and the rendering of user signals into (system, user) messages;
//   - judge*.go: the LLM-as-a-judge comparison (both candidate orders) and the exact judge
//     of the synthetic persona world (package popi/world);
//   - client*.go: an OpenAI-compatible chat client with retries, a concurrency limit and an
//     on-disk response cache;
//   - metrics*.go, report*.go: reward accuracy, context overhead, win rate, aggregation
//     over seeds and the Table-1-shaped Markdown and JSON reports.
//
// None of these files imports the model packages (llama, nn, rl): where a model is
// needed it is reached through the small interfaces Generator and TokenCounter.
package popi
