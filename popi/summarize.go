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
	Model       *llama.Model
	Enc         *prompt.ChatEncoder
	P           prompt.Prompting
	MaxTokens   int
	Temperature float64 // 0: greedy
	TopP        float64
	Seed        uint64
	Batch       int
}

func (s *Summarizer) gen() *LocalGenerator {
	return &LocalGenerator{Model: s.Model, Enc: s.Enc, MaxTokens: s.MaxTokens, Temperature: s.Temperature, TopP: s.TopP, Seed: s.Seed, Batch: s.Batch}
}

// Summarize writes one summary of rendered user signals; a non-empty prompt selects the
// prompt-dependent variant.
func (s *Summarizer) Summarize(ctx context.Context, signals, userPrompt string) (string, error) {
	m, err := s.P.InferenceMessages(signals, userPrompt)
	if err != nil {
		return "", err
	}
	out, err := s.gen().GenerateAll(ctx, []prompt.Messages{m})
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
	g := s.gen()
	bs := max(g.Batch, 16)
	var texts []string
	for st := 0; st < len(msgs); st += bs {
		e := min(st+bs, len(msgs))
		g.Seed = s.Seed + uint64(st)
		part, err := g.GenerateAll(ctx, msgs[st:e])
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
