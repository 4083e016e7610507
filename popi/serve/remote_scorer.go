package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/popi-go/popi/llama"
)

// RemoteScorer scores token continuations through OpenAI-compatible /v1/completions
// endpoints that return prompt log-probs (echo: true, logprobs: 0): this package's server,
// or vLLM. Requests rotate over the servers; a failed one (network error, 429, 5xx) is
// retried on the next server with backoff. It is safe for concurrent use and implements
// popi.SequenceScorer, so cmd/train -scorer-url can put the frozen generator's Stage-1
// scoring on other machines.
type RemoteScorer struct {
	// URLs are API roots such as http://host:8080/v1.
	URLs []string
	// Model is the model name sent with each request.
	Model  string
	APIKey string
	// MaxTokens is sent as max_tokens: 0 scores the prompt only (this server); servers
	// that refuse 0 need 1 (the extra generated token is ignored).
	MaxTokens int
	// Retries is the number of further attempts after a failure (default 4).
	Retries int
	Client  *http.Client
	// Timeout bounds one request (default 5 minutes).
	Timeout time.Duration

	next atomic.Uint64
}

// NewRemoteScorer checks the URLs (http or https, no query) and returns a scorer.
func NewRemoteScorer(urls []string, model, apiKey string) (*RemoteScorer, error) {
	if len(urls) == 0 {
		return nil, errors.New("serve: remote scorer needs at least one URL")
	}
	for i, u := range urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, "?#") {
			return nil, fmt.Errorf("serve: scorer URL %q must be an http(s) API root such as http://host:8080/v1", u)
		}
		urls[i] = strings.TrimRight(u, "/")
	}
	return &RemoteScorer{URLs: urls, Model: model, APIKey: apiKey}, nil
}

type scoreRequest struct {
	Model       string  `json:"model,omitempty"`
	Prompt      [][]int `json:"prompt"`
	Echo        bool    `json:"echo"`
	Logprobs    int     `json:"logprobs"`
	MaxTokens   int     `json:"max_tokens"`
	Temperature float64 `json:"temperature"`
}

type scoreResponse struct {
	Choices []struct {
		Index    int `json:"index"`
		Logprobs *struct {
			TokenLogprobs []*float64 `json:"token_logprobs"`
		} `json:"logprobs"`
	} `json:"choices"`
}

// Score implements popi.SequenceScorer: log p(cont | prompt) for every continuation, from
// one request holding prompt+cont for each non-empty continuation.
func (r *RemoteScorer) Score(prompt []int, conts [][]int) ([]llama.Score, error) {
	if len(prompt) == 0 {
		return nil, errors.New("serve: remote score: empty prompt")
	}
	out := make([]llama.Score, len(conts))
	req := scoreRequest{Model: r.Model, Echo: true, MaxTokens: r.MaxTokens}
	var which []int
	for i, c := range conts {
		out[i].TokenLogProbs = make([]float64, len(c))
		if len(c) == 0 {
			continue
		}
		seq := make([]int, 0, len(prompt)+len(c))
		req.Prompt = append(req.Prompt, append(append(seq, prompt...), c...))
		which = append(which, i)
	}
	if len(which) == 0 {
		return out, nil
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	resp, err := r.post(body)
	if err != nil {
		return nil, err
	}
	if len(resp.Choices) != len(which) {
		return nil, fmt.Errorf("serve: remote score: %d choices for %d prompts", len(resp.Choices), len(which))
	}
	seen := make([]bool, len(which))
	for _, ch := range resp.Choices {
		if ch.Index < 0 || ch.Index >= len(which) || seen[ch.Index] {
			return nil, fmt.Errorf("serve: remote score: bad choice index %d", ch.Index)
		}
		seen[ch.Index] = true
		i := which[ch.Index]
		c := conts[i]
		if ch.Logprobs == nil || len(ch.Logprobs.TokenLogprobs) < len(prompt)+len(c) {
			return nil, fmt.Errorf("serve: remote score: continuation %d: the server returned no prompt log-probs for all %d tokens", i, len(prompt)+len(c))
		}
		sum := 0.0
		for k := range c {
			v := ch.Logprobs.TokenLogprobs[len(prompt)+k]
			if v == nil || math.IsNaN(*v) || *v > 0 {
				return nil, fmt.Errorf("serve: remote score: continuation %d token %d: bad log-prob", i, k)
			}
			out[i].TokenLogProbs[k] = *v
			sum += *v
		}
		out[i].LogProb = sum
	}
	return out, nil
}

// post sends body to the servers in turn until one answers 200.
func (r *RemoteScorer) post(body []byte) (*scoreResponse, error) {
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	retries := r.Retries
	if retries <= 0 {
		retries = 4
	}
	start := int(r.next.Add(1) - 1)
	var last error
	for attempt := 0; attempt <= retries; attempt++ {
		url := r.URLs[(start+attempt)%len(r.URLs)] + "/completions"
		resp, wait, err := r.try(client, url, body, timeout)
		if err == nil {
			return resp, nil
		}
		last = err
		var perm *permanentError
		if errors.As(err, &perm) {
			return nil, err
		}
		if wait == 0 {
			wait = time.Duration(100<<attempt) * time.Millisecond
		}
		time.Sleep(min(wait, 5*time.Second))
	}
	return nil, fmt.Errorf("serve: remote score failed after %d attempts: %w", retries+1, last)
}

type permanentError struct{ error }

func (r *RemoteScorer) try(client *http.Client, url string, body []byte, timeout time.Duration) (*scoreResponse, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, &permanentError{err}
	}
	req.Header.Set("Content-Type", "application/json")
	if r.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.APIKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("%s: HTTP %d: %s", url, resp.StatusCode, truncate(string(b), 300))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			var wait time.Duration
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			return nil, wait, err
		}
		return nil, 0, &permanentError{err}
	}
	var out scoreResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, 0, fmt.Errorf("%s: bad response: %w", url, err)
	}
	return &out, 0, nil
}
