// Package openai is an OpenAI-compatible chat-completions client: per-attempt timeouts,
// retries with exponential backoff honouring Retry-After on 429 and 5xx, a concurrency
// limit and an on-disk response cache keyed by the hash of the exact request, so a rerun
// costs nothing. Its Client.Generate(ctx, system, user) is the transport of POPI's LLM
// judge and of black-box transfer generators (it satisfies popi.Generator).
//
// It knows nothing of POPI: it imports only internal/atomicfile (cache entries are written
// atomically). Package openaitest serves a fake endpoint for tests.
package openai
