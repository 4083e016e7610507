package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LoadOptions configures RunLoad.
type LoadOptions struct {
	// URL is the API root of the server under test (http://127.0.0.1:PORT/v1); it must be
	// a loopback address.
	URL      string
	Model    string
	APIKey   string
	Clients  int
	Duration time.Duration
	// MaxTokens per request (default 32).
	MaxTokens int
	// ServerPID, when > 0, is sampled for its resident memory (Linux /proc).
	ServerPID int
	// Progress receives a line every ProgressEvery (default 5 s); nil: none.
	Progress      io.Writer
	ProgressEvery time.Duration
}

// LoadResult is what a load run saw. Every response is checked: a 200 must be
// well-formed (JSON with choices and finish reasons, or a stream ending in [DONE]).
type LoadResult struct {
	Requests    int            `json:"requests"`
	OK          int            `json:"ok"`
	Rejected    int            `json:"rejected_429"`
	Errors      int            `json:"errors"`
	ErrorSample []string       `json:"error_sample,omitempty"`
	ByKind      map[string]int `json:"ok_by_kind"`
	Tokens      int            `json:"completion_tokens"`
	Seconds     float64        `json:"seconds"`
	TokensPerS  float64        `json:"tokens_per_second"`
	LatencyP50  float64        `json:"latency_p50_s"`
	LatencyP99  float64        `json:"latency_p99_s"`
	TTFTP50     float64        `json:"stream_ttft_p50_s"`
	MaxRSSMiB   float64        `json:"server_max_rss_mib,omitempty"`
	FirstRSSMiB float64        `json:"server_first_rss_mib,omitempty"`
}

// checkLoopback refuses any target but a loopback address: the load generator is for
// local servers only.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("serve: load URL %q is not an http(s) URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("serve: load tests target loopback addresses only, not %q", host)
	}
	return nil
}

type loadStats struct {
	mu      sync.Mutex
	res     LoadResult
	lat     []float64
	ttft    []float64
	maxRSS  float64
	lastRSS float64
}

func (s *loadStats) add(kind string, status int, tokens int, lat, ttft time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Requests++
	switch {
	case err != nil:
		s.res.Errors++
		if len(s.res.ErrorSample) < 10 {
			s.res.ErrorSample = append(s.res.ErrorSample, fmt.Sprintf("%s: %v", kind, err))
		}
	case status == http.StatusTooManyRequests:
		s.res.Rejected++
	default:
		s.res.OK++
		s.res.ByKind[kind]++
		s.res.Tokens += tokens
		s.lat = append(s.lat, lat.Seconds())
		if ttft > 0 {
			s.ttft = append(s.ttft, ttft.Seconds())
		}
	}
}

func quantile(x []float64, q float64) float64 {
	if len(x) == 0 {
		return 0
	}
	y := slices.Clone(x)
	slices.Sort(y)
	return y[min(len(y)-1, int(q*float64(len(y))))]
}

// RunLoad sends requests from Clients concurrent clients for Duration (chat, streamed
// chat, and echo+logprobs completions in turn), honoring 429's Retry-After, and returns
// what it saw. It stops by itself.
func RunLoad(ctx context.Context, o LoadOptions) (*LoadResult, error) {
	if err := checkLoopback(o.URL); err != nil {
		return nil, err
	}
	if o.Clients <= 0 || o.Duration <= 0 {
		return nil, errors.New("serve: load needs clients > 0 and a duration")
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = 32
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	root := strings.TrimRight(o.URL, "/")
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	st := &loadStats{res: LoadResult{ByKind: map[string]int{}}}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients}}
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < o.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				kind := []string{"chat", "chat-stream", "completions-echo"}[(c+i)%3]
				t0 := time.Now()
				status, tokens, ttft, retry, err := loadRequest(ctx, client, root, o, kind, c*100003+i)
				if ctx.Err() != nil && err != nil {
					return // the run ended during the request
				}
				st.add(kind, status, tokens, time.Since(t0), ttft, err)
				if status == http.StatusTooManyRequests {
					select {
					case <-time.After(min(retry, time.Second)):
					case <-ctx.Done():
					}
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if o.ServerPID > 0 {
					if rss, err := residentMiB(o.ServerPID); err == nil {
						st.mu.Lock()
						if st.res.FirstRSSMiB == 0 {
							st.res.FirstRSSMiB = rss
						}
						st.maxRSS = max(st.maxRSS, rss)
						st.lastRSS = rss
						st.mu.Unlock()
					}
				}
				if o.Progress != nil && time.Since(last) >= o.ProgressEvery {
					last = time.Now()
					el := time.Since(start)
					st.mu.Lock()
					fmt.Fprintf(o.Progress, "load: %s/%s, %d requests (%d ok, %d 429, %d errors), %.1f tokens/s, server RSS %.0f MiB, ETA %s\n",
						el.Round(time.Second), o.Duration, st.res.Requests, st.res.OK, st.res.Rejected, st.res.Errors,
						float64(st.res.Tokens)/el.Seconds(), st.lastRSS, (o.Duration - el).Round(time.Second))
					st.mu.Unlock()
				}
			}
		}
	}()
	wg.Wait()
	close(done)
	st.mu.Lock()
	defer st.mu.Unlock()
	r := st.res
	r.Seconds = time.Since(start).Seconds()
	r.TokensPerS = float64(r.Tokens) / r.Seconds
	r.LatencyP50, r.LatencyP99 = quantile(st.lat, 0.5), quantile(st.lat, 0.99)
	r.TTFTP50 = quantile(st.ttft, 0.5)
	r.MaxRSSMiB = st.maxRSS
	return &r, nil
}

// residentMiB reads a process's resident set size.
func residentMiB(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

var loadQuestions = []string{"What do you think about music?", "Tell me about cats.", "How do planes fly?",
	"Explain rain to me.", "Why is the sky blue?", "What is a good breakfast?", "How do I learn to swim?"}

// loadRequest sends one request of the given kind and checks the answer.
func loadRequest(ctx context.Context, client *http.Client, root string, o LoadOptions, kind string, k int) (status, tokens int, ttft, retry time.Duration, err error) {
	q := loadQuestions[k%len(loadQuestions)]
	var body map[string]any
	path := "/chat/completions"
	switch kind {
	case "completions-echo":
		path = "/completions"
		body = map[string]any{"prompt": q, "echo": true, "logprobs": 1, "max_tokens": o.MaxTokens / 4, "temperature": 0.7, "seed": k}
	default:
		body = map[string]any{"messages": []map[string]string{{"role": "user", "content": q}}, "max_tokens": o.MaxTokens,
			"temperature": 0.8, "seed": k, "stream": kind == "chat-stream"}
	}
	if o.Model != "" {
		body["model"] = o.Model
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, root+path, bytes.NewReader(b))
	if err != nil {
		return 0, 0, 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.APIKey)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		io.Copy(io.Discard, resp.Body)
		s, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if s <= 0 {
			return resp.StatusCode, 0, 0, 0, errors.New("429 without Retry-After")
		}
		return resp.StatusCode, 0, 0, time.Duration(s) * time.Second, nil
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return resp.StatusCode, 0, 0, 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
	}
	if kind == "chat-stream" {
		tokens, ttft, err = checkStream(resp.Body, t0)
		return resp.StatusCode, tokens, ttft, 0, err
	}
	var out struct {
		Choices []struct {
			FinishReason *string         `json:"finish_reason"`
			Message      json.RawMessage `json:"message"`
			Logprobs     json.RawMessage `json:"logprobs"`
		} `json:"choices"`
		Usage *usage `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return resp.StatusCode, 0, 0, 0, fmt.Errorf("malformed response: %w", err)
	}
	if len(out.Choices) == 0 || out.Choices[0].FinishReason == nil || out.Usage == nil || out.Usage.TotalTokens != out.Usage.PromptTokens+out.Usage.CompletionTokens {
		return resp.StatusCode, 0, 0, 0, errors.New("malformed response: no choices, finish reason or usage")
	}
	if kind == "completions-echo" && len(out.Choices[0].Logprobs) < 10 {
		return resp.StatusCode, 0, 0, 0, errors.New("malformed response: echo without log-probs")
	}
	return resp.StatusCode, out.Usage.CompletionTokens, 0, 0, nil
}

// checkStream reads an SSE chat stream: chunks of JSON, a finish reason, then [DONE].
func checkStream(r io.Reader, t0 time.Time) (tokens int, ttft time.Duration, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	finished, done := false, false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || done {
			return 0, 0, fmt.Errorf("malformed stream line %q", truncate(line, 80))
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var ch struct {
			Choices []struct {
				Delta        struct{ Content *string } `json:"delta"`
				FinishReason *string                   `json:"finish_reason"`
			} `json:"choices"`
			Error *apiErrorBody `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			return 0, 0, fmt.Errorf("malformed chunk: %w", err)
		}
		if ch.Error != nil {
			return 0, 0, fmt.Errorf("stream error: %s", ch.Error.Message)
		}
		for _, c := range ch.Choices {
			if c.Delta.Content != nil && *c.Delta.Content != "" {
				if ttft == 0 {
					ttft = time.Since(t0)
				}
				tokens++ // chunks with text: one per released token or fewer
			}
			if c.FinishReason != nil {
				finished = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if !finished || !done {
		return 0, 0, fmt.Errorf("stream ended without a finish reason or [DONE] (finish %v, done %v)", finished, done)
	}
	return tokens, ttft, nil
}
