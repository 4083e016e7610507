package serve

import (
	"context"
	"encoding/json"
	"math"
	"sync/atomic"
	"time"

	"github.com/popi-go/popi/llama"
)

// samplingFields are the request fields chat and legacy completions share.
type samplingFields struct {
	Model            string          `json:"model"`
	Temperature      *float64        `json:"temperature"`
	TopP             *float64        `json:"top_p"`
	TopK             *int            `json:"top_k"` // vLLM's extension
	N                *int            `json:"n"`
	MaxTokens        *int            `json:"max_tokens"`
	Stop             json.RawMessage `json:"stop"`
	Seed             *int64          `json:"seed"`
	Stream           bool            `json:"stream"`
	StreamOptions    *streamOptions  `json:"stream_options"`
	User             string          `json:"user"`
	PresencePenalty  *float64        `json:"presence_penalty"`
	FrequencyPenalty *float64        `json:"frequency_penalty"`
	LogitBias        map[string]any  `json:"logit_bias"`
	// accepted and ignored (bookkeeping fields of OpenAI's API)
	Metadata    json.RawMessage `json:"metadata"`
	Store       *bool           `json:"store"`
	ServiceTier *string         `json:"service_tier"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// maxStops bounds the stop strings of a request.
const maxStops = 16

// genParams are validated sampling parameters.
type genParams struct {
	sample    llama.SampleOptions
	n         int
	maxTokens int // -1: not given
	stops     []string
	seed      uint64
}

var seedCounter atomic.Uint64

func (f *samplingFields) params(maxN int) (genParams, error) {
	p := genParams{sample: llama.SampleOptions{Temperature: 1}, n: 1, maxTokens: -1}
	if f.Temperature != nil {
		t := *f.Temperature
		if math.IsNaN(t) || t < 0 || t > 100 {
			return p, invalid("temperature must be between 0 and 100, got %v", t)
		}
		p.sample.Temperature = t
	}
	if f.TopP != nil {
		t := *f.TopP
		if math.IsNaN(t) || t <= 0 || t > 1 {
			return p, invalid("top_p must be in (0, 1], got %v", t)
		}
		p.sample.TopP = t
	}
	if f.TopK != nil {
		k := *f.TopK
		if k < -1 {
			return p, invalid("top_k must be -1 (off), 0 (off) or positive, got %d", k)
		}
		p.sample.TopK = max(k, 0)
	}
	if f.N != nil {
		if *f.N < 1 || *f.N > maxN {
			return p, invalid("n must be between 1 and %d, got %d", maxN, *f.N)
		}
		p.n = *f.N
	}
	if f.MaxTokens != nil {
		if *f.MaxTokens < 0 {
			return p, invalid("max_tokens must be >= 0, got %d", *f.MaxTokens)
		}
		p.maxTokens = *f.MaxTokens
	}
	if len(f.Stop) > 0 && string(f.Stop) != "null" {
		var one string
		if err := json.Unmarshal(f.Stop, &one); err == nil {
			p.stops = []string{one}
		} else if err := json.Unmarshal(f.Stop, &p.stops); err != nil {
			return p, invalid("stop must be a string or a list of strings")
		}
		if len(p.stops) > maxStops {
			return p, invalid("at most %d stop strings, got %d", maxStops, len(p.stops))
		}
		for _, s := range p.stops {
			if s == "" {
				return p, invalid("stop strings must not be empty")
			}
		}
	}
	if f.Seed != nil {
		p.seed = uint64(*f.Seed)
	} else {
		p.seed = uint64(time.Now().UnixNano()) ^ seedCounter.Add(0x9E3779B97F4A7C15)
	}
	if f.PresencePenalty != nil && *f.PresencePenalty != 0 {
		return p, invalid("presence_penalty is not supported (only 0)")
	}
	if f.FrequencyPenalty != nil && *f.FrequencyPenalty != 0 {
		return p, invalid("frequency_penalty is not supported (only 0)")
	}
	if len(f.LogitBias) > 0 {
		return p, invalid("logit_bias is not supported")
	}
	return p, nil
}

// choiceState accumulates one completion.
type choiceState struct {
	text   *choiceText
	tokens int
	finish string
	events []Event // with logprobs
}

// drive runs a job to its end, calling on for every change of a completion: its new text
// (possibly empty), the token event (Token -1 for none) and, once, its finish reason.
func (s *Server) drive(ctx context.Context, j *Job, states []*choiceState, keep bool,
	on func(c int, delta string, ev Event, finish string) error) error {
	for {
		evs, done, err := j.Next(ctx)
		for _, ev := range evs {
			st := states[ev.Choice]
			if st.finish != "" {
				continue
			}
			delta := ""
			if ev.Token >= 0 {
				st.tokens++
				if keep {
					st.events = append(st.events, ev)
				}
				delta = st.text.add(ev.Token)
				if st.text.stopped && ev.Finish == "" {
					j.StopChoice(ev.Choice)
					ev.Finish = "stop"
				}
			}
			if ev.Finish != "" {
				st.finish = ev.Finish
				delta += st.text.flush()
			}
			if on != nil {
				if err := on(ev.Choice, delta, ev, st.finish); err != nil {
					return err
				}
			}
		}
		if done {
			return err
		}
	}
}

// usage is OpenAI's token accounting.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func newUsage(prompt int, states []*choiceState) usage {
	u := usage{PromptTokens: prompt}
	for _, s := range states {
		u.CompletionTokens += s.tokens
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// limitTokens resolves max_tokens against the context: omitted means the rest of the
// context window capped at def; too many is a client error.
func (s *Server) limitTokens(p genParams, promptLen, def int) (int, error) {
	ctx := s.m.Config.MaxPositions
	if ctx > 0 && promptLen >= ctx && !(p.maxTokens == 0) {
		return 0, invalid("the prompt has %d tokens; this model's maximum context length is %d", promptLen, ctx)
	}
	if p.maxTokens < 0 {
		n := def
		if ctx > 0 {
			n = min(n, ctx-promptLen)
		}
		return n, nil
	}
	if ctx > 0 && p.maxTokens > ctx-promptLen {
		return 0, invalid("this model's maximum context length is %d tokens; the prompt has %d and max_tokens asks for %d more (at most %d)",
			ctx, promptLen, p.maxTokens, ctx-promptLen)
	}
	return p.maxTokens, nil
}
