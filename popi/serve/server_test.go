package serve

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// The built-in tiny checkpoint: a chat-tuned LLaMA-3 shape with the paper's templates.
const tinyDir = "../../models/popi-tiny"

var tinyOnce struct {
	sync.Once
	m   *llama.Model
	tok *llama.Tokenizer
	err error
}

func tinyModel(t testing.TB) (*llama.Model, *llama.Tokenizer) {
	t.Helper()
	tinyOnce.Do(func() {
		tinyOnce.m, tinyOnce.err = llama.Load(tinyDir, llama.LoadOptions{})
		if tinyOnce.err == nil {
			tinyOnce.tok, tinyOnce.err = llama.LoadTokenizer(tinyDir)
		}
	})
	if tinyOnce.err != nil {
		t.Fatal(tinyOnce.err)
	}
	return tinyOnce.m, tinyOnce.tok
}

// newTestServer starts a server on the tiny model; mod adjusts its options.
func newTestServer(t testing.TB, mod func(*Options)) (*Server, *httptest.Server) {
	t.Helper()
	m, tok := tinyModel(t)
	opts := Options{ModelName: "popi-tiny", Tokenizer: tok, Prompting: prompt.Prompting{Family: data.FamilyELIX}}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs
}

func sdk(hs *httptest.Server, opts ...option.RequestOption) *openai.Client {
	c := openai.NewClient(append([]option.RequestOption{option.WithBaseURL(hs.URL + "/v1/"), option.WithAPIKey("unused"),
		option.WithMaxRetries(0)}, opts...)...)
	return &c
}

// greedyReference decodes ids greedily with llama's own Generate and returns the text the
// server should return.
func greedyReference(t *testing.T, s *Server, ids []int, maxTokens int) (string, []int) {
	t.Helper()
	c, err := s.m.Generate(ids, llama.GenerateOptions{MaxTokens: maxTokens, StopTokens: s.stopIDs})
	if err != nil {
		t.Fatal(err)
	}
	ct := newChoiceText(s.tok, nil)
	for _, id := range c.Tokens {
		ct.add(id)
	}
	ct.flush()
	return ct.text(), c.Tokens
}

func TestChatCompletionSDK(t *testing.T) {
	s, hs := newTestServer(t, nil)
	c := sdk(hs)
	ctx := context.Background()
	q := "What do you think about music?"
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:       "popi-tiny",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(q)},
		MaxTokens:   openai.Int(24),
		Temperature: openai.Float(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := s.tok.EncodeChat([]llama.Message{{Role: "user", Content: q}}, s.enc.Opts)
	want, toks := greedyReference(t, s, ids, 24)
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Content != want {
		t.Fatalf("chat reply %q, want llama.Generate's %q", resp.Choices[0].Message.Content, want)
	}
	if resp.Usage.PromptTokens != int64(len(ids)) || resp.Usage.CompletionTokens != int64(len(toks)) {
		t.Fatalf("usage %+v, want %d prompt and %d completion tokens", resp.Usage, len(ids), len(toks))
	}
	wantFinish := "length"
	if len(toks) < 24 {
		wantFinish = "stop"
	}
	if resp.Choices[0].FinishReason != wantFinish {
		t.Fatalf("finish %q, want %q", resp.Choices[0].FinishReason, wantFinish)
	}

	// The same request streamed: chunks that add up to the same text, a finish reason,
	// the usage chunk, and [DONE] (the SDK's stream ends cleanly).
	st := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "popi-tiny",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage(q)},
		MaxTokens:     openai.Int(24),
		Temperature:   openai.Float(0),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var got strings.Builder
	finish := ""
	var usageTotal int64
	chunks := 0
	for st.Next() {
		ch := st.Current()
		chunks++
		if ch.Object != "chat.completion.chunk" {
			t.Fatalf("chunk object %q", ch.Object)
		}
		for _, c := range ch.Choices {
			got.WriteString(c.Delta.Content)
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
		if ch.Usage.TotalTokens > 0 {
			usageTotal = ch.Usage.TotalTokens
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want || finish != wantFinish || usageTotal != int64(len(ids)+len(toks)) || chunks < 3 {
		t.Fatalf("stream: text %q finish %q usage %d in %d chunks; want %q %q %d", got.String(), finish, usageTotal, chunks,
			want, wantFinish, len(ids)+len(toks))
	}
}

func TestChatSamplingSeedAndN(t *testing.T) {
	_, hs := newTestServer(t, nil)
	c := sdk(hs)
	p := openai.ChatCompletionNewParams{
		Model:       "popi-tiny",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Tell me about cats.")},
		MaxTokens:   openai.Int(12),
		Temperature: openai.Float(0.9),
		TopP:        openai.Float(0.95),
		Seed:        openai.Int(7),
		N:           openai.Int(3),
		Logprobs:    openai.Bool(true),
		TopLogprobs: openai.Int(2),
	}
	a, err := c.Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Choices) != 3 {
		t.Fatalf("%d choices, want 3", len(a.Choices))
	}
	for i := range a.Choices {
		if a.Choices[i].Message.Content != b.Choices[i].Message.Content {
			t.Fatalf("choice %d differs between two requests with one seed: %q vs %q", i, a.Choices[i].Message.Content, b.Choices[i].Message.Content)
		}
		lp := a.Choices[i].Logprobs.Content
		if len(lp) == 0 || len(lp[0].TopLogprobs) != 2 || lp[0].Logprob > 0 || lp[0].TopLogprobs[0].Logprob < lp[0].TopLogprobs[1].Logprob {
			t.Fatalf("choice %d logprobs %+v", i, lp)
		}
	}
}

// Echo + logprobs returns the prompt's token log-probs: they equal llama.Model.Score of
// the same tokens.
func TestCompletionsEchoLogprobsEqualScore(t *testing.T) {
	s, hs := newTestServer(t, nil)
	c := sdk(hs)
	ids := s.tok.EncodeChat([]llama.Message{{Role: "user", Content: "Do you like cats?"}, {Role: "assistant", Content: "Cats are short."}}, s.enc.Opts)
	toks := make([]int64, len(ids))
	for i, v := range ids {
		toks[i] = int64(v)
	}
	resp, err := c.Completions.New(context.Background(), openai.CompletionNewParams{
		Model:     "popi-tiny",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: toks},
		Echo:      openai.Bool(true),
		Logprobs:  openai.Int(0),
		MaxTokens: openai.Int(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	lp := resp.Choices[0].Logprobs
	if len(lp.TokenLogprobs) != len(ids) || !strings.HasPrefix(resp.Choices[0].Logprobs.RawJSON(), `{"tokens"`) ||
		!strings.Contains(lp.RawJSON(), `"token_logprobs":[null,`) {
		t.Fatalf("logprobs %s", lp.RawJSON())
	}
	sc, err := s.m.Score(ids[:1], [][]int{ids[1:]})
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k < len(ids); k++ {
		if d := math.Abs(lp.TokenLogprobs[k] - sc[0].TokenLogProbs[k-1]); d > 1e-4 {
			t.Fatalf("token %d: server log-prob %v, llama.Model.Score %v", k, lp.TokenLogprobs[k], sc[0].TokenLogProbs[k-1])
		}
	}
	if resp.Usage.CompletionTokens != 0 || resp.Usage.PromptTokens != int64(len(ids)) {
		t.Fatalf("usage %+v", resp.Usage)
	}

	// A text prompt with generation: echo text first, then the completion.
	r2, err := c.Completions.New(context.Background(), openai.CompletionNewParams{
		Model:       "popi-tiny",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfArrayOfStrings: []string{"The user", "Cats are"}},
		Echo:        openai.Bool(true),
		Logprobs:    openai.Int(1),
		MaxTokens:   openai.Int(4),
		Temperature: openai.Float(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r2.Choices) != 2 || !strings.HasPrefix(r2.Choices[1].Text, "Cats are") || r2.Choices[1].Index != 1 {
		t.Fatalf("choices %+v", r2.Choices)
	}
	if n := len(r2.Choices[0].Logprobs.Tokens); n != len(s.textPrompt("The user").ids)+4 && r2.Choices[0].FinishReason == "length" {
		t.Fatalf("%d logprob tokens", n)
	}
}

// Concurrent greedy requests decode in shared batches and give the tokens each gives alone.
func TestConcurrentEqualsSequential(t *testing.T) {
	s, hs := newTestServer(t, nil)
	c := sdk(hs)
	qs := []string{"What is music?", "Tell me about cats.", "How do planes fly?", "Explain rain.", "Why is the sky blue?", "What is a dog?"}
	ask := func(q string) string {
		r, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "popi-tiny", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(q)},
			MaxTokens: openai.Int(20), Temperature: openai.Float(0)})
		if err != nil {
			t.Error(err)
			return ""
		}
		return r.Choices[0].Message.Content
	}
	seq := make([]string, len(qs))
	for i, q := range qs {
		seq[i] = ask(q)
	}
	before := s.eng.stats.steps.Load()
	conc := make([]string, len(qs))
	var wg sync.WaitGroup
	for i, q := range qs {
		wg.Add(1)
		go func() { defer wg.Done(); conc[i] = ask(q) }()
	}
	wg.Wait()
	for i := range qs {
		if seq[i] != conc[i] {
			t.Errorf("prompt %d: concurrent %q, sequential %q", i, conc[i], seq[i])
		}
	}
	if steps := s.eng.stats.steps.Load() - before; steps >= int64(20*len(qs)) {
		t.Errorf("%d steps for %d concurrent requests of 20 tokens: not batched", steps, len(qs))
	}
}

func TestQueueFullIs429(t *testing.T) {
	s, hs := newTestServer(t, func(o *Options) { o.Engine = EngineOptions{MaxBatch: 1, QueueSize: 1} })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	long := func() *Job {
		return &Job{Prompt: []int{s.m.Config.BOS}, N: 1, MaxTokens: 1000, Sample: llama.SampleOptions{Temperature: 1}}
	}
	busy := long()
	if err := s.eng.Submit(ctx, busy); err != nil {
		t.Fatal(err)
	}
	// Wait until it decodes, then fill the queue.
	for s.eng.stats.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := s.eng.Submit(ctx, long()); err != nil {
		t.Fatal(err)
	}
	_, err := sdk(hs).Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "popi-tiny", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}, MaxTokens: openai.Int(2)})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Response.Header.Get("Retry-After") == "" {
		t.Fatalf("got %v, want a 429 with Retry-After", err)
	}
	cancel()
	if _, _, err := busy.Next(context.Background()); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// A client that goes away ends its sequences.
func TestClientCancelFreesBatch(t *testing.T) {
	s, hs := newTestServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	st := sdk(hs).Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model: "popi-tiny", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Talk for a long time.")},
		MaxTokens: openai.Int(900), Temperature: openai.Float(1), Seed: openai.Int(1)})
	if !st.Next() {
		t.Fatal(st.Err())
	}
	cancel()
	st.Close()
	deadline := time.Now().Add(5 * time.Second)
	for s.eng.stats.active.Load() != 0 || s.eng.QueueDepth() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sequences still active after the client left", s.eng.stats.active.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAPIKey(t *testing.T) {
	_, hs := newTestServer(t, func(o *Options) { o.APIKey = "sekret" })
	_, err := sdk(hs).Models.List(context.Background())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no key: %v, want 401", err)
	}
	page, err := sdk(hs, option.WithAPIKey("sekret")).Models.List(context.Background())
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != "popi-tiny" {
		t.Fatalf("models %+v, %v", page, err)
	}
	r, err := http.Get(hs.URL + "/health")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("/health without a key: %v %v", r, err)
	}
	r.Body.Close()
}

func TestMetrics(t *testing.T) {
	_, hs := newTestServer(t, nil)
	if _, err := sdk(hs).Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "popi-tiny", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}, MaxTokens: openai.Int(3)}); err != nil {
		t.Fatal(err)
	}
	r, err := http.Get(hs.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{`popi_requests_total{route="/v1/chat/completions",code="200"} 1`, "popi_queue_depth 0",
		"popi_batch_size 1", "popi_tokens_per_second ", "# TYPE popi_engine_generated_tokens_total counter"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, b)
		}
	}
}

// post sends a raw body and decodes OpenAI's error shape.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	r, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var e apiError
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode >= 400 {
		if err := json.Unmarshal(b, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
			t.Fatalf("status %d body %q is not OpenAI's error shape", r.StatusCode, b)
		}
	}
	return r.StatusCode, e.Error.Message
}

func TestBadRequests(t *testing.T) {
	_, hs := newTestServer(t, func(o *Options) { o.MaxBodyBytes = 1 << 12 })
	chat := hs.URL + "/v1/chat/completions"
	msgs := `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		url, body string
		status    int
		msg       string
	}{
		{chat, `{`, 400, "invalid JSON"},
		{chat, ``, 400, "empty request body"},
		{chat, `[1,2]`, 400, "invalid JSON"},
		{chat, `{` + msgs + `} {}`, 400, "after the JSON object"},
		{chat, `{` + msgs + `,"bogus":1}`, 400, `unknown field "bogus"`},
		{chat, `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 1<<13) + `"}]}`, 413, "exceeds"},
		{chat, `{"messages":[]}`, 400, "messages must not be empty"},
		{chat, `{` + msgs + `,"max_tokens":1000000000}`, 400, "maximum context length"},
		{chat, `{` + msgs + `,"max_tokens":-1}`, 400, "max_tokens"},
		{chat, `{` + msgs + `,"max_tokens":9223372036854775807}`, 400, "maximum context length"},
		{chat, `{` + msgs + `,"max_tokens":1e30}`, 400, "invalid JSON"},
		{chat, `{` + msgs + `,"n":0}`, 400, "n must be"},
		{chat, `{` + msgs + `,"n":100000}`, 400, "n must be"},
		{chat, `{` + msgs + `,"temperature":-1}`, 400, "temperature"},
		{chat, `{` + msgs + `,"top_p":0}`, 400, "top_p"},
		{chat, `{` + msgs + `,"stop":[""]}`, 400, "stop strings"},
		{chat, `{` + msgs + `,"stop":7}`, 400, "stop must be"},
		{chat, `{` + msgs + `,"tools":[{}]}`, 400, "tools is not supported"},
		{chat, `{` + msgs + `,"presence_penalty":1}`, 400, "presence_penalty"},
		{chat, `{` + msgs + `,"user":"../../etc/passwd"}`, 400, "bad user id"},
		{chat, `{` + msgs + `,"model":"gpt-9"}`, 404, "does not exist"},
		{chat, `{"messages":[{"role":"tool","content":"x"}]}`, 400, "role"},
		{chat, `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "not supported"},
		{hs.URL + "/v1/completions", `{"prompt":[1,2,999999]}`, 400, "outside the vocabulary"},
		{hs.URL + "/v1/completions", `{"prompt":[]}`, 400, "prompt"},
		{hs.URL + "/v1/completions", `{"prompt":"x","max_tokens":0}`, 400, "echo"},
		{hs.URL + "/v1/completions", `{"prompt":"x","logprobs":99}`, 400, "logprobs"},
		{hs.URL + "/v1/nope", `{}`, 404, "no endpoint"},
	}
	r, err := http.Get(chat)
	if err != nil {
		t.Fatal(err)
	}
	var e apiError
	if json.NewDecoder(r.Body).Decode(&e); r.StatusCode != 405 || !strings.Contains(e.Error.Message, "use POST") || r.Header.Get("Allow") != "POST" {
		t.Errorf("GET %s: %d %+v", chat, r.StatusCode, e)
	}
	r.Body.Close()
	for _, c := range cases {
		code, msg := post(t, c.url, c.body)
		if code != c.status || !strings.Contains(msg, c.msg) {
			t.Errorf("%s %.60q: %d %q, want %d containing %q", c.url[len(hs.URL):], c.body, code, msg, c.status, c.msg)
		}
	}
}

func TestUserStoreSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	s, hs := newTestServer(t, func(o *Options) { o.Store = st; o.Summarizer = nil })
	s.opts.Summarizer.MaxTokens = 24
	body := `{"pairs":[{"prompt":"Tell me about cats","chosen":"Cats are small.","rejected":"Cats are long and verbose animals."}]}`
	put := func(url, body string) (int, summaryResponse) {
		req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var sr summaryResponse
		json.NewDecoder(r.Body).Decode(&sr)
		return r.StatusCode, sr
	}
	code, first := put(hs.URL+"/v1/users/alice/signals", body)
	if code != 200 || first.Summary == "" || first.Recomputed == nil || !*first.Recomputed {
		t.Fatalf("PUT signals: %d %+v", code, first)
	}
	// The summary is Algorithm 2's: the inference template through the summary writer.
	want, err := s.opts.Summarizer.Summarize(context.Background(),
		prompt.RenderPreferencePairs([]data.PrefPair{{Prompt: "Tell me about cats", Chosen: "Cats are small.", Rejected: "Cats are long and verbose animals."}}), "")
	if err != nil || want != first.Summary {
		t.Fatalf("stored summary %q, Summarizer writes %q (%v)", first.Summary, want, err)
	}
	for _, bad := range []struct{ url, body string }{
		{hs.URL + "/v1/users/al%2Fice/signals", body}, {hs.URL + "/v1/users/.hidden/signals", body},
		{hs.URL + "/v1/users/bob/signals", `{}`}, {hs.URL + "/v1/users/bob/signals", `{"pairs":[{"prompt":"x"}]}`},
		{hs.URL + "/v1/users/bob/signals", `{"pairs":[{"prompt":"a","chosen":"b","rejected":"c"}],"signals":"x"}`},
	} {
		if code, _ := put(bad.url, bad.body); code != 400 {
			t.Errorf("PUT %s %s: %d, want 400", bad.url, bad.body, code)
		}
	}
	// Restart: a new server on the reopened file finds the summary and does not recompute it.
	hs.Close()
	s.Close()
	st.Close()
	st2, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	s2, hs2 := newTestServer(t, func(o *Options) { o.Store = st2 })
	r, err := http.Get(hs2.URL + "/v1/users/alice/summary")
	if err != nil {
		t.Fatal(err)
	}
	var got summaryResponse
	json.NewDecoder(r.Body).Decode(&got)
	r.Body.Close()
	if r.StatusCode != 200 || got.Summary != first.Summary || got.SignalsSHA256 != first.SignalsSHA256 {
		t.Fatalf("after restart: %d %+v, want %+v", r.StatusCode, got, first)
	}
	if code, again := put(hs2.URL+"/v1/users/alice/signals", body); code != 200 || again.Recomputed == nil || *again.Recomputed {
		t.Fatalf("same signals again: %d %+v, want recomputed false", code, again)
	}
	if r, _ := http.Get(hs2.URL + "/v1/users/nobody/summary"); r.StatusCode != 404 {
		t.Fatalf("unknown user: %d", r.StatusCode)
	}

	// A chat naming the user gets the generator prompt of the paper's template with the summary.
	q := "What do you think about dogs?"
	var hdr *http.Response
	resp, err := sdk(hs2).Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "popi-tiny", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(q)},
		MaxTokens: openai.Int(4), Temperature: openai.Float(0), User: openai.String("alice")}, option.WithResponseInto(&hdr))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := s2.opts.Prompting.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondSummary, Summary: first.Summary}, q)
	if err != nil {
		t.Fatal(err)
	}
	ids := s2.enc.Prompt(pm)
	if resp.Usage.PromptTokens != int64(len(ids)) || hdr.Header.Get("Popi-Personalized") != "true" {
		t.Fatalf("personalized prompt has %d tokens (header %q), the template renders %d", resp.Usage.PromptTokens, hdr.Header.Get("Popi-Personalized"), len(ids))
	}
	wantText, _ := greedyReference(t, s2, ids, 4)
	if resp.Choices[0].Message.Content != wantText {
		t.Fatalf("personalized reply %q, want %q", resp.Choices[0].Message.Content, wantText)
	}
}

func TestChoiceTextStops(t *testing.T) {
	_, tok := tinyModel(t)
	ids := tok.Encode("Cats are small and dogs are big.", false)
	ct := newChoiceText(tok, []string{"dogs are", "zzz"})
	var out strings.Builder
	for _, id := range ids {
		out.WriteString(ct.add(id))
		if ct.stopped {
			break
		}
	}
	out.WriteString(ct.flush())
	if out.String() != "Cats are small and " || !ct.stopped {
		t.Fatalf("stopped %v at %q", ct.stopped, out.String())
	}
	ct = newChoiceText(tok, []string{"small!"})
	out.Reset()
	for _, id := range ids {
		out.WriteString(ct.add(id))
	}
	out.WriteString(ct.flush())
	if out.String() != "Cats are small and dogs are big." || ct.stopped {
		t.Fatalf("no stop: %q", out.String())
	}
}

// FuzzServeRequest: any body to any endpoint gets a well-formed answer and never a panic
// or a 500 (the engine is closed, so valid requests end in 503 quickly).
func FuzzServeRequest(f *testing.F) {
	for _, s := range []string{`{"messages":[{"role":"user","content":"hi"}],"max_tokens":3}`, `{"prompt":"x","echo":true,"logprobs":2,"max_tokens":0}`,
		`{"prompt":[[1,2],[3]],"n":2,"stop":["a"]}`, `{"pairs":[{"prompt":"a","chosen":"b","rejected":"c"}]}`, `{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"user":"u"}`} {
		f.Add(0, s)
		f.Add(1, s)
		f.Add(2, s)
	}
	s, hs := newTestServer(f, nil)
	s.Close()
	urls := []string{"/v1/chat/completions", "/v1/completions", "/v1/users/u1/signals"}
	f.Fuzz(func(t *testing.T, which int, body string) {
		if which < 0 {
			which = -which
		}
		req, _ := http.NewRequest(http.MethodPost, hs.URL+urls[which%len(urls)], strings.NewReader(body))
		if which%len(urls) == 2 {
			req.Method = http.MethodPut
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %q: %d %s", req.URL.Path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Message == "" {
				t.Fatalf("%q: error body %q", body, rec.Body)
			}
		}
	})
}

// A stop string ends the reply before it, streamed or not, with finish reason "stop".
func TestChatStopString(t *testing.T) {
	s, hs := newTestServer(t, nil)
	c := sdk(hs)
	q := "What do you think about music?"
	ids := s.tok.EncodeChat([]llama.Message{{Role: "user", Content: q}}, s.enc.Opts)
	full, _ := greedyReference(t, s, ids, 30)
	words := strings.Fields(full)
	if len(words) < 4 {
		t.Skipf("reply %q too short to cut", full)
	}
	stop := " " + words[2]
	want := full[:strings.Index(full, stop)]
	p := openai.ChatCompletionNewParams{Model: "popi-tiny", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(q)},
		MaxTokens: openai.Int(30), Temperature: openai.Float(0), Stop: openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{stop, "\x00never"}}}
	r, err := c.Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Choices[0].Message.Content != want || r.Choices[0].FinishReason != "stop" {
		t.Fatalf("stop %q: %q (%s), want %q", stop, r.Choices[0].Message.Content, r.Choices[0].FinishReason, want)
	}
	st := c.Chat.Completions.NewStreaming(context.Background(), p)
	var got strings.Builder
	fin := ""
	for st.Next() {
		for _, ch := range st.Current().Choices {
			got.WriteString(ch.Delta.Content)
			if ch.FinishReason != "" {
				fin = ch.FinishReason
			}
		}
	}
	if st.Err() != nil || got.String() != want || fin != "stop" {
		t.Fatalf("streamed: %q (%s, %v), want %q", got.String(), fin, st.Err(), want)
	}
}

// A request with more prompts than the queue holds is served (its prompts wait for room).
func TestCompletionsManyPrompts(t *testing.T) {
	_, hs := newTestServer(t, func(o *Options) { o.Engine = EngineOptions{MaxBatch: 2, QueueSize: 2} })
	prompts := make([][]int64, 9)
	for i := range prompts {
		prompts[i] = []int64{1163, int64(10 + i), int64(20 + i)}
	}
	r, err := sdk(hs).Completions.New(context.Background(), openai.CompletionNewParams{Model: "popi-tiny",
		Prompt: openai.CompletionNewParamsPromptUnion{OfArrayOfTokenArrays: prompts}, MaxTokens: openai.Int(3), N: openai.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Choices) != 18 {
		t.Fatalf("%d choices, want 18", len(r.Choices))
	}
	for i, c := range r.Choices {
		if int(c.Index) != i || c.FinishReason == "" {
			t.Fatalf("choice %d: %+v", i, c)
		}
	}
}
