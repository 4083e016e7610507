package popi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// Summarizer writes preference summaries with an inference model πφ (Algorithm 2, line 1):
// the user signals go through the paper's inference template and the chat template, and
// the reply, up to the end-of-turn token, is the summary.
type Summarizer struct {
	Model *llama.Model
	// Gen, if set instead of Model, writes the summaries: an off-the-shelf inference model
	// behind an OpenAI-compatible API (the paper's "Llama-90b as Inference Model" rows).
	// Enc still counts the summaries' tokens.
	Gen         Generator
	Enc         *prompt.ChatEncoder
	P           prompt.Prompting
	MaxTokens   int
	Temperature float64 // 0: greedy
	TopP        float64
	Seed        uint64
	Batch       int
}

// generate writes the replies to msgs with the local model (sampling seeded by seed) or
// with Gen.
func (s *Summarizer) generate(ctx context.Context, msgs []prompt.Messages, seed uint64) ([]string, error) {
	if s.Model == nil {
		if s.Gen == nil {
			return nil, errors.New("popi: Summarizer has neither a model nor a generator")
		}
		return generateAll(ctx, s.Gen, msgs)
	}
	g := &LocalGenerator{Model: s.Model, Enc: s.Enc, MaxTokens: s.MaxTokens, Temperature: s.Temperature, TopP: s.TopP, Seed: seed, Batch: s.Batch}
	return g.GenerateAll(ctx, msgs)
}

// Summarize writes one summary of rendered user signals; a non-empty prompt selects the
// prompt-dependent variant.
func (s *Summarizer) Summarize(ctx context.Context, signals, userPrompt string) (string, error) {
	m, err := s.P.InferenceMessages(signals, userPrompt)
	if err != nil {
		return "", err
	}
	out, err := s.generate(ctx, []prompt.Messages{m}, s.Seed)
	if err != nil {
		return "", err
	}
	return out[0], nil
}

// Episodes writes a summary for every episode (or, promptDependent, for every target of
// every episode), batched, reporting progress to log.
func (s *Summarizer) Episodes(ctx context.Context, eps []data.Episode, promptDependent bool, log io.Writer) (*Summaries, error) {
	if len(eps) == 0 {
		return nil, errors.New("popi: no episodes to summarize")
	}
	out := &Summaries{PromptDependent: promptDependent, Meta: SummariesMeta{Temperature: s.Temperature, Seed: s.Seed}}
	var msgs []prompt.Messages
	for i := range eps {
		sig := prompt.EpisodeSignals(&eps[i])
		if promptDependent {
			for _, t := range eps[i].Targets {
				m, err := s.P.InferenceMessages(sig, t.Prompt)
				if err != nil {
					return nil, fmt.Errorf("popi: episode %d: %w", i, err)
				}
				msgs = append(msgs, m)
			}
			continue
		}
		m, err := s.P.InferenceMessages(sig, "")
		if err != nil {
			return nil, fmt.Errorf("popi: episode %d: %w", i, err)
		}
		msgs = append(msgs, m)
	}
	prog := NewProgress("summaries", 0, len(msgs), "summaries")
	bs := max(s.Batch, 16)
	var texts []string
	for st := 0; st < len(msgs); st += bs {
		e := min(st+bs, len(msgs))
		part, err := s.generate(ctx, msgs[st:e], s.Seed+uint64(st))
		if err != nil {
			return nil, err
		}
		texts = append(texts, part...)
		if log != nil {
			fmt.Fprint(log, prog.Line(e, ""))
		}
	}
	k := 0
	for i := range eps {
		if promptDependent {
			row := texts[k : k+len(eps[i].Targets)]
			k += len(row)
			out.PerTarget = append(out.PerTarget, row)
			n := 0
			for _, z := range row {
				n += s.Enc.CountTokens(z)
			}
			out.Tokens = append(out.Tokens, n/max(len(row), 1))
			continue
		}
		out.PerEpisode = append(out.PerEpisode, texts[k])
		out.Tokens = append(out.Tokens, s.Enc.CountTokens(texts[k]))
		k++
	}
	return out, nil
}

// Personalize is Algorithm 2: one summary of the user's signals, then a response to every
// prompt from the generator conditioned on that same summary.
func Personalize(ctx context.Context, s *Summarizer, gen Generator, p prompt.Prompting, signals string, prompts []string) (string, []string, error) {
	z, err := s.Summarize(ctx, signals, "")
	if err != nil {
		return "", nil, err
	}
	out, err := Respond(ctx, gen, p, z, prompts)
	return z, out, err
}

// Respond answers prompts with gen conditioned on a stored summary (Algorithm 2, lines
// 2-4); an empty summary leaves the prompts unconditioned.
func Respond(ctx context.Context, gen Generator, p prompt.Prompting, summary string, prompts []string) ([]string, error) {
	c := prompt.Conditioning{Cond: prompt.CondSummary, Summary: summary}
	if strings.TrimSpace(summary) == "" {
		c = prompt.Conditioning{Cond: prompt.CondPrompt}
	}
	msgs := make([]prompt.Messages, len(prompts))
	for i, x := range prompts {
		var err error
		if msgs[i], err = p.GeneratorMessages(c, x); err != nil {
			return nil, fmt.Errorf("popi: prompt %d: %w", i, err)
		}
	}
	return generateAll(ctx, gen, msgs)
}
