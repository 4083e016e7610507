package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/prompt"
)

// chatRequest is POST /v1/chat/completions' body.
type chatRequest struct {
	samplingFields
	Messages            []chatMessage `json:"messages"`
	MaxCompletionTokens *int          `json:"max_completion_tokens"`
	Logprobs            bool          `json:"logprobs"`
	TopLogprobs         *int          `json:"top_logprobs"`
	// refused: features this server does not have
	Tools             json.RawMessage `json:"tools"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	Functions         json.RawMessage `json:"functions"`
	FunctionCall      json.RawMessage `json:"function_call"`
	ResponseFormat    json.RawMessage `json:"response_format"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name"`
}

// maxMessages bounds a conversation.
const maxMessages = 4096

// text is a message's content: a string or a list of text parts.
func (m chatMessage) text() (string, error) {
	if len(m.Content) == 0 || string(m.Content) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(m.Content, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", fmt.Errorf("content must be a string or a list of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("content part of type %q is not supported (text only)", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

func isRawSet(r json.RawMessage) bool { return len(r) > 0 && string(r) != "null" }

// messages validates the conversation and converts it for the chat template.
func (req *chatRequest) messages() ([]llama.Message, error) {
	if len(req.Messages) == 0 {
		return nil, invalid("messages must not be empty")
	}
	if len(req.Messages) > maxMessages {
		return nil, invalid("at most %d messages, got %d", maxMessages, len(req.Messages))
	}
	out := make([]llama.Message, len(req.Messages))
	for i, m := range req.Messages {
		role := m.Role
		switch role {
		case "developer":
			role = "system"
		case "system", "user", "assistant":
		default:
			return nil, invalid("messages[%d]: role %q is not supported (system, developer, user, assistant)", i, m.Role)
		}
		t, err := m.text()
		if err != nil {
			return nil, invalid("messages[%d]: %v", i, err)
		}
		out[i] = llama.Message{Role: role, Content: t}
	}
	return out, nil
}

// personalize rewrites a conversation for a user with a stored summary: the last user
// message becomes the paper's generator prompt conditioned on the summary, whose system
// message replaces the conversation's (the other turns are kept).
func personalize(p prompt.Prompting, msgs []llama.Message, summary string) ([]llama.Message, error) {
	last := -1
	for i, m := range msgs {
		if m.Role == "user" {
			last = i
		}
	}
	if last < 0 {
		return nil, invalid("a personalized chat needs a user message")
	}
	pm, err := p.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondSummary, Summary: summary}, msgs[last].Content)
	if err != nil {
		return nil, invalid("personalized prompt: %v", err)
	}
	var out []llama.Message
	if pm.System != "" {
		out = append(out, llama.Message{Role: "system", Content: pm.System})
	}
	for i, m := range msgs {
		switch {
		case m.Role == "system" && pm.System != "":
			continue
		case i == last:
			m.Content = pm.User
		}
		out = append(out, m)
	}
	return out, nil
}

type chatLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []chatTopLog `json:"top_logprobs"`
}

type chatTopLog struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      *chatOutMessage `json:"message,omitempty"`
	Delta        *chatOutMessage `json:"delta,omitempty"`
	Logprobs     *chatLogprobs   `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

type chatOutMessage struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

type chatLogprobs struct {
	Content []chatLogprob `json:"content"`
}

type chatResponse struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []chatChoice `json:"choices"`
	Usage             *usage       `json:"usage,omitempty"`
}

func (s *Server) tokenBytes(id int) []int {
	b := s.tok.Token(id)
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

func (s *Server) chatLogprob(ev Event) chatLogprob {
	lp := chatLogprob{Token: string(s.tok.Token(ev.Token)), Logprob: ev.Logprob, Bytes: s.tokenBytes(ev.Token), TopLogprobs: []chatTopLog{}}
	for _, t := range ev.Top {
		lp.TopLogprobs = append(lp.TopLogprobs, chatTopLog{Token: string(s.tok.Token(t.Token)), Logprob: t.Logprob, Bytes: s.tokenBytes(t.Token)})
	}
	return lp
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if err := decodeBody(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.fail(w, err)
		return
	}
	if err := s.chat(w, r, &req); err != nil {
		s.fail(w, err)
	}
}

// chat serves one decoded request; an error return means nothing was written yet.
func (s *Server) chat(w http.ResponseWriter, r *http.Request, req *chatRequest) error {
	if err := s.checkModel(req.Model); err != nil {
		return err
	}
	for name, v := range map[string]json.RawMessage{"tools": req.Tools, "tool_choice": req.ToolChoice,
		"functions": req.Functions, "function_call": req.FunctionCall, "response_format": req.ResponseFormat} {
		if isRawSet(v) {
			return invalid("%s is not supported by this server", name)
		}
	}
	p, err := req.params(s.eng.opts.MaxBatch)
	if err != nil {
		return err
	}
	if req.MaxCompletionTokens != nil {
		if *req.MaxCompletionTokens < 0 {
			return invalid("max_completion_tokens must be >= 0, got %d", *req.MaxCompletionTokens)
		}
		p.maxTokens = *req.MaxCompletionTokens
	}
	if p.maxTokens == 0 {
		return invalid("max_tokens must be at least 1")
	}
	top := 0
	if req.TopLogprobs != nil {
		if !req.Logprobs {
			return invalid("top_logprobs needs logprobs: true")
		}
		if *req.TopLogprobs < 0 || *req.TopLogprobs > MaxTopLogprobs {
			return invalid("top_logprobs must be between 0 and %d, got %d", MaxTopLogprobs, *req.TopLogprobs)
		}
		top = *req.TopLogprobs
	}
	msgs, err := req.messages()
	if err != nil {
		return err
	}
	personalized := false
	if req.User != "" {
		if err := checkUserID(req.User); err != nil {
			return err
		}
		if s.opts.Store != nil {
			rec, ok, err := s.opts.Store.Get(req.User)
			if err != nil {
				return err
			}
			if ok && strings.TrimSpace(rec.Summary) != "" {
				if msgs, err = personalize(s.opts.Prompting, msgs, rec.Summary); err != nil {
					return err
				}
				personalized = true
			}
		}
	}
	ids := s.tok.EncodeChat(msgs, s.enc.Opts)
	maxTok, err := s.limitTokens(p, len(ids), 1<<30)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	j := &Job{Prompt: ids, N: p.n, Sample: p.sample, Seed: p.seed, MaxTokens: maxTok, StopTokens: s.stopIDs,
		Logprobs: req.Logprobs, TopLogprobs: top}
	if err := s.eng.Submit(ctx, j); err != nil {
		if _, ok := err.(*badRequest); !ok && err != ErrQueueFull && err != ErrClosed {
			err = invalid("%v", err)
		}
		return err
	}
	states := make([]*choiceState, p.n)
	for i := range states {
		states[i] = &choiceState{text: newChoiceText(s.tok, p.stops)}
	}
	if personalized {
		w.Header().Set("Popi-Personalized", "true")
	}
	id := fmt.Sprintf("chatcmpl-%x", p.seed^uint64(time.Now().UnixNano()))
	resp := chatResponse{ID: id, Created: time.Now().Unix(), Model: s.opts.ModelName, SystemFingerprint: "popi"}
	if req.Stream {
		s.streamChat(ctx, w, j, states, resp, req.Logprobs, req.StreamOptions != nil && req.StreamOptions.IncludeUsage, len(ids))
		return nil
	}
	if err := s.drive(ctx, j, states, req.Logprobs, nil); err != nil {
		return err
	}
	resp.Object = "chat.completion"
	for i, st := range states {
		txt := st.text.text()
		fin := st.finish
		c := chatChoice{Index: i, Message: &chatOutMessage{Role: "assistant", Content: &txt}, FinishReason: &fin}
		if req.Logprobs {
			c.Logprobs = &chatLogprobs{Content: []chatLogprob{}}
			for _, ev := range st.events {
				c.Logprobs.Content = append(c.Logprobs.Content, s.chatLogprob(ev))
			}
		}
		resp.Choices = append(resp.Choices, c)
	}
	u := newUsage(len(ids), states)
	resp.Usage = &u
	s.metrics.completed(u)
	writeJSON(w, resp)
	return nil
}

func (s *Server) streamChat(ctx context.Context, w http.ResponseWriter, j *Job, states []*choiceState, resp chatResponse,
	logprobs, includeUsage bool, promptLen int) {
	sse := newSSE(w)
	resp.Object = "chat.completion.chunk"
	empty := ""
	for i := range states {
		c := resp
		c.Choices = []chatChoice{{Index: i, Delta: &chatOutMessage{Role: "assistant", Content: &empty}}}
		sse.send(c)
	}
	err := s.drive(ctx, j, states, false, func(i int, delta string, ev Event, finish string) error {
		c := resp
		ch := chatChoice{Index: i, Delta: &chatOutMessage{}}
		if delta != "" {
			ch.Delta.Content = &delta
		}
		if logprobs && ev.Token >= 0 {
			ch.Logprobs = &chatLogprobs{Content: []chatLogprob{s.chatLogprob(ev)}}
		}
		if finish != "" {
			ch.FinishReason = &finish
		}
		if delta == "" && finish == "" && ch.Logprobs == nil {
			return nil
		}
		c.Choices = []chatChoice{ch}
		return sse.send(c)
	})
	if err != nil {
		sse.error(err)
		return
	}
	u := newUsage(promptLen, states)
	s.metrics.completed(u)
	if includeUsage {
		c := resp
		c.Choices = []chatChoice{}
		c.Usage = &u
		sse.send(c)
	}
	sse.done()
}
