package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"
)

// completionRequest is POST /v1/completions' body (OpenAI's legacy API, as vLLM serves it).
type completionRequest struct {
	samplingFields
	Prompt   json.RawMessage `json:"prompt"`
	Echo     bool            `json:"echo"`
	Logprobs *int            `json:"logprobs"`
	Suffix   *string         `json:"suffix"`
	BestOf   *int            `json:"best_of"`
}

// maxPrompts bounds the prompts of one completions request.
const maxPrompts = 256

// completionPrompt is one prompt of a request: its tokens and the text echo returns.
type completionPrompt struct {
	ids  []int
	text string
}

// prompts parses prompt: a string, a list of strings, a list of token ids or a list of
// lists of token ids. Text gets the model's BOS token first (unless it starts with it);
// token ids are used as given.
func (s *Server) prompts(raw json.RawMessage) ([]completionPrompt, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, invalid("prompt is required")
	}
	var one string
	var many []string
	var ids []int
	var idss [][]int
	var out []completionPrompt
	switch {
	case json.Unmarshal(raw, &one) == nil:
		out = []completionPrompt{s.textPrompt(one)}
	case json.Unmarshal(raw, &ids) == nil && len(ids) > 0:
		out = []completionPrompt{{ids: ids}}
	case json.Unmarshal(raw, &many) == nil:
		for _, p := range many {
			out = append(out, s.textPrompt(p))
		}
	case json.Unmarshal(raw, &idss) == nil:
		for _, p := range idss {
			out = append(out, completionPrompt{ids: p})
		}
	default:
		return nil, invalid("prompt must be a string, a list of strings, a list of token ids or a list of lists of token ids")
	}
	if len(out) == 0 {
		return nil, invalid("prompt must not be empty")
	}
	if len(out) > maxPrompts {
		return nil, invalid("at most %d prompts per request, got %d", maxPrompts, len(out))
	}
	V := s.m.Config.Vocab
	for i := range out {
		p := &out[i]
		if len(p.ids) == 0 {
			return nil, invalid("prompt %d is empty", i)
		}
		for k, t := range p.ids {
			if t < 0 || t >= V {
				return nil, invalid("prompt %d token %d: id %d outside the vocabulary [0,%d)", i, k, t, V)
			}
		}
		if p.text == "" {
			p.text = s.decodeAll(p.ids)
		}
	}
	return out, nil
}

func (s *Server) textPrompt(text string) completionPrompt {
	ids := s.tok.Encode(text, true)
	if bos := s.m.Config.BOS; bos >= 0 && (len(ids) == 0 || ids[0] != bos) {
		ids = append([]int{bos}, ids...)
	}
	return completionPrompt{ids: ids, text: text}
}

func (s *Server) decodeAll(ids []int) string {
	var b []byte
	for _, t := range ids {
		b = append(b, s.tok.Token(t)...)
	}
	return string(b)
}

type completionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []*float64           `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

type completionChoice struct {
	Text         string              `json:"text"`
	Index        int                 `json:"index"`
	Logprobs     *completionLogprobs `json:"logprobs"`
	FinishReason *string             `json:"finish_reason"`
	// PromptLogprobs is vLLM's field (echo with logprobs fills the legacy field too).
}

type completionResponse struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint"`
	Choices           []completionChoice `json:"choices"`
	Usage             *usage             `json:"usage,omitempty"`
}

// appendLogprob adds one token to legacy log-probs (lp NaN: null, the first prompt token).
func (s *Server) appendLogprob(l *completionLogprobs, offset *int, tok int, lp float64, top []TokenLogprob, withTop bool) {
	str := string(s.tok.Token(tok))
	l.Tokens = append(l.Tokens, str)
	l.TextOffset = append(l.TextOffset, *offset)
	*offset += len(str)
	if math.IsNaN(lp) {
		l.TokenLogprobs = append(l.TokenLogprobs, nil)
		l.TopLogprobs = append(l.TopLogprobs, nil)
		return
	}
	v := lp
	l.TokenLogprobs = append(l.TokenLogprobs, &v)
	if !withTop {
		l.TopLogprobs = append(l.TopLogprobs, nil)
		return
	}
	m := make(map[string]float64, len(top))
	for _, t := range top {
		m[string(s.tok.Token(t.Token))] = t.Logprob
	}
	l.TopLogprobs = append(l.TopLogprobs, m)
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	var req completionRequest
	if err := decodeBody(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.fail(w, err)
		return
	}
	if err := s.completions(w, r, &req); err != nil {
		s.fail(w, err)
	}
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request, req *completionRequest) error {
	if err := s.checkModel(req.Model); err != nil {
		return err
	}
	if req.Suffix != nil && *req.Suffix != "" {
		return invalid("suffix is not supported by this server")
	}
	p, err := req.params(s.eng.opts.MaxBatch)
	if err != nil {
		return err
	}
	if req.BestOf != nil && *req.BestOf != p.n {
		return invalid("best_of is not supported (only equal to n)")
	}
	top := -1
	if req.Logprobs != nil {
		if *req.Logprobs < 0 || *req.Logprobs > MaxTopLogprobs {
			return invalid("logprobs must be between 0 and %d, got %d", MaxTopLogprobs, *req.Logprobs)
		}
		top = *req.Logprobs
	}
	if p.maxTokens == 0 && !req.Echo {
		return invalid("max_tokens 0 is only allowed with echo: true (scoring the prompt)")
	}
	if p.maxTokens < 0 {
		p.maxTokens = 16 // the legacy API's default
	}
	ps, err := s.prompts(req.Prompt)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	jobs := make([]*Job, len(ps))
	for i, pr := range ps {
		maxTok, err := s.limitTokens(p, len(pr.ids), p.maxTokens)
		if err != nil {
			return fmt.Errorf("prompt %d: %w", i, err)
		}
		jobs[i] = &Job{Prompt: pr.ids, N: p.n, Sample: p.sample, Seed: p.seed, MaxTokens: maxTok,
			StopTokens: s.stopIDs, PromptLogprobs: req.Echo && top >= 0, Logprobs: top >= 0, TopLogprobs: max(top, 0)}
	}
	for i, j := range jobs {
		submit := s.eng.Submit
		if i > 0 {
			submit = s.eng.SubmitWait
		}
		if err := submit(ctx, j); err != nil {
			cancel() // ends the jobs already queued
			if _, ok := err.(*badRequest); !ok && err != ErrQueueFull && err != ErrClosed {
				err = invalid("prompt %d: %v", i, err)
			}
			return err
		}
	}
	resp := completionResponse{ID: fmt.Sprintf("cmpl-%x", p.seed^uint64(time.Now().UnixNano())), Object: "text_completion",
		Created: time.Now().Unix(), Model: s.opts.ModelName, SystemFingerprint: "popi"}
	all := make([][]*choiceState, len(jobs))
	for i := range jobs {
		all[i] = make([]*choiceState, p.n)
		for c := range all[i] {
			all[i][c] = &choiceState{text: newChoiceText(s.tok, p.stops)}
		}
	}
	promptTokens := 0
	for _, pr := range ps {
		promptTokens += len(pr.ids)
	}
	if req.Stream {
		s.streamCompletions(ctx, w, jobs, all, ps, resp, req, top, promptTokens)
		return nil
	}
	for i, j := range jobs {
		if err := s.drive(ctx, j, all[i], top >= 0, nil); err != nil {
			return err
		}
	}
	var states []*choiceState
	for i, j := range jobs {
		for c, st := range all[i] {
			fin := st.finish
			ch := completionChoice{Index: i*p.n + c, FinishReason: &fin}
			off := 0
			if req.Echo {
				ch.Text = ps[i].text
			}
			if top >= 0 {
				ch.Logprobs = &completionLogprobs{}
				if req.Echo {
					s.appendPrompt(ch.Logprobs, &off, ps[i].ids, j.PromptResult(), top > 0)
				}
				for _, ev := range st.events {
					s.appendLogprob(ch.Logprobs, &off, ev.Token, ev.Logprob, ev.Top, top > 0)
				}
			}
			ch.Text += st.text.text()
			resp.Choices = append(resp.Choices, ch)
			states = append(states, st)
		}
	}
	u := newUsage(promptTokens, states)
	resp.Usage = &u
	s.metrics.completed(u)
	writeJSON(w, resp)
	return nil
}

func (s *Server) appendPrompt(l *completionLogprobs, off *int, ids []int, pl *PromptLogprobs, withTop bool) {
	for k, t := range ids {
		lp := math.NaN()
		var top []TokenLogprob
		if pl != nil {
			lp = pl.Logprobs[k]
			if pl.Top != nil {
				top = pl.Top[k]
			}
		}
		s.appendLogprob(l, off, t, lp, top, withTop)
	}
}

func (s *Server) streamCompletions(ctx context.Context, w http.ResponseWriter, jobs []*Job, all [][]*choiceState,
	ps []completionPrompt, resp completionResponse, req *completionRequest, top, promptTokens int) {
	sse := newSSE(w)
	n := len(all[0])
	var states []*choiceState
	for i, j := range jobs {
		echoed := make([]bool, n)
		offs := make([]int, n)
		err := s.drive(ctx, j, all[i], false, func(c int, delta string, ev Event, finish string) error {
			ch := completionChoice{Index: i*n + c, Text: delta}
			if top >= 0 {
				ch.Logprobs = &completionLogprobs{}
			}
			if req.Echo && !echoed[c] {
				echoed[c] = true
				ch.Text = ps[i].text + delta
				if top >= 0 {
					s.appendPrompt(ch.Logprobs, &offs[c], ps[i].ids, j.PromptResult(), top > 0)
				}
			}
			if top >= 0 && ev.Token >= 0 {
				s.appendLogprob(ch.Logprobs, &offs[c], ev.Token, ev.Logprob, ev.Top, top > 0)
			}
			if finish != "" {
				ch.FinishReason = &finish
			}
			c2 := resp
			c2.Choices = []completionChoice{ch}
			return sse.send(c2)
		})
		if err != nil {
			sse.error(err)
			return
		}
		states = append(states, all[i]...)
	}
	u := newUsage(promptTokens, states)
	s.metrics.completed(u)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		c := resp
		c.Choices = []completionChoice{}
		c.Usage = &u
		sse.send(c)
	}
	sse.done()
}
