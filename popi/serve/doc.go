// Package serve is popi-go's OpenAI-compatible inference server, embeddable by library
// users (cmd/serve is a thin wrapper around it):
//
//   - engine.go: continuous batching. One goroutine owns a llama.Runner; every step runs
//     one batched forward pass over all active sequences (decode steps of one token and
//     prompt chunks of new requests together); sequences join and leave between steps;
//     a bounded queue refuses work beyond its capacity (ErrQueueFull, HTTP 429);
//   - engine_logprobs.go: log-softmax and top-k alternatives of logit rows (prompt
//     log-probs for echo, per-token log-probs of generated tokens);
//   - server.go: the HTTP side (net/http): routing, bearer-token check, body limits,
//     OpenAI's error shape, /v1/models, /health;
//   - chat.go, completions.go, gen.go, stream.go, choice_text.go: POST
//     /v1/chat/completions and POST /v1/completions (shared sampling parameters and event
//     loop in gen.go), streamed as server-sent events or not, with stop strings;
//   - users.go, store.go: Algorithm 2 as a service — PUT /v1/users/{id}/signals writes the
//     user's preference summary with a popi.Summarizer and stores signals and summary in a
//     bbolt file; chat completions naming the user get the paper's generator prompt with
//     that summary; load_models.go: LoadSummarizer (a Stage-1 adapter or a checkpoint);
//   - metrics.go: Prometheus text-format /metrics;
//   - remote_scorer.go: RemoteScorer, a client that scores token continuations through any
//     OpenAI-compatible /v1/completions endpoint returning prompt log-probs (echo), which
//     cmd/train -scorer-url uses for the frozen generator's Stage-1 scoring;
//   - load.go: a bounded load generator (local addresses only) for the load script.
//
// It imports llama, popi, popi/prompt and popi/data; only cmd/ programs import it.
package serve
