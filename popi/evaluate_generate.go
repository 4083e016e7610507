package popi

import (
	"context"
	"errors"
	"fmt"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/prompt"
)

// Generator is anything that answers a (system, user) prompt: a local model, or the
// OpenAI-compatible Client.
type Generator interface {
	Generate(ctx context.Context, system, user string) (string, error)
}

// LocalGenerator answers rendered prompts with a local model through the chat template. It
// implements Generator (one prompt) and batches many prompts in GenerateAll.
type LocalGenerator struct {
	Model *llama.Model
	Enc   *prompt.ChatEncoder
	// MaxTokens bounds a response; Temperature 0 is greedy decoding.
	MaxTokens   int
	Temperature float64
	TopP        float64
	Seed        uint64
	// Batch is the number of prompts decoded together (0: 16).
	Batch int
}

// Generate implements Generator.
func (g *LocalGenerator) Generate(ctx context.Context, system, user string) (string, error) {
	out, err := g.GenerateAll(ctx, []prompt.Messages{{System: system, User: user}})
	if err != nil {
		return "", err
	}
	return out[0], nil
}

// GenerateAll answers every prompt; response i depends only on the prompt, the seed and i's
// position within its batch of Batch prompts.
func (g *LocalGenerator) GenerateAll(ctx context.Context, msgs []prompt.Messages) ([]string, error) {
	rs, err := g.Replies(ctx, msgs)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Text
	}
	return out, nil
}

// Reply is one generated response.
type Reply struct {
	Text string // decoded up to the end token (prompt.ChatEncoder.DecodeReply)
	// Ended reports that the model ended its turn with the end token, rather than hitting
	// MaxTokens or the context length.
	Ended bool
}

// Replies is GenerateAll with each response's end.
func (g *LocalGenerator) Replies(ctx context.Context, msgs []prompt.Messages) ([]Reply, error) {
	if g.Model == nil || g.Enc == nil {
		return nil, errors.New("popi: LocalGenerator needs a model and an encoder")
	}
	if g.MaxTokens <= 0 {
		return nil, fmt.Errorf("popi: LocalGenerator MaxTokens must be > 0, got %d", g.MaxTokens)
	}
	bs := g.Batch
	if bs <= 0 {
		bs = 16
	}
	r := g.Model.NewRunner()
	out := make([]Reply, len(msgs))
	for s := 0; s < len(msgs); s += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := min(s+bs, len(msgs))
		prompts := make([][]int, e-s)
		for i := s; i < e; i++ {
			prompts[i-s] = g.Enc.Prompt(msgs[i])
		}
		cs, err := r.GenerateBatch(prompts, llama.GenerateOptions{
			SampleOptions: llama.SampleOptions{Temperature: g.Temperature, TopP: g.TopP},
			MaxTokens:     g.MaxTokens, Seed: g.Seed + uint64(s)*0x9e3779b97f4a7c15, StopTokens: []int{g.Enc.End},
		})
		if err != nil {
			return nil, fmt.Errorf("popi: generation: %w", err)
		}
		for i, c := range cs {
			out[s+i] = Reply{Text: g.Enc.DecodeReply(c.Tokens), Ended: c.Finish == llama.FinishStop}
		}
	}
	return out, nil
}

// batchGenerator is implemented by generators that answer many prompts at once.
type batchGenerator interface {
	GenerateAll(ctx context.Context, msgs []prompt.Messages) ([]string, error)
}

// generateAll answers msgs with g, batched when g supports it.
func generateAll(ctx context.Context, g Generator, msgs []prompt.Messages) ([]string, error) {
	if b, ok := g.(batchGenerator); ok {
		return b.GenerateAll(ctx, msgs)
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		s, err := g.Generate(ctx, m.System, m.User)
		if err != nil {
			return nil, fmt.Errorf("popi: generation %d: %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}
