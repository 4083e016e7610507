package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Config configures an OpenAI-compatible chat-completions client.
// Zero fields take the defaults in parentheses.
type Config struct {
	BaseURL       string        // API root; requests go to BaseURL + "/chat/completions"
	Model         string        // model name sent with every request
	APIKeyEnv     string        // name of the environment variable holding the API key ("" = no key)
	Timeout       time.Duration // per attempt (60 s)
	MaxRetries    int           // retries after the first attempt (5; negative for none)
	BackoffBase   time.Duration // first backoff, doubled each retry, with jitter (500 ms)
	BackoffMax    time.Duration // cap on the exponential backoff (30 s)
	RetryAfterMax time.Duration // longest Retry-After honoured; longer is an error (5 min)
	Concurrency   int           // requests in flight at once (4)
	CacheDir      string        // on-disk response cache ("" = none)
	Temperature   float64       // sampling temperature (0)
	MaxTokens     int           // max_tokens (0 = not sent)
	HTTPClient    *http.Client  // (a new http.Client)
}

// Message is one message of the chat wire format.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Stats counts what a client did.
type Stats struct {
	Requests  int64 // HTTP attempts made
	Retries   int64 // attempts that were retries
	CacheHits int64 // answers served from the cache
}

// Client is an OpenAI-compatible chat client: timeouts, retries with exponential backoff
// honouring Retry-After on 429 and 5xx, a concurrency limit and an on-disk cache keyed
// by the request's hash, so a rerun costs nothing. It implements Generator.
type Client struct {
	cfg                          Config
	key                          string
	sem                          chan struct{}
	requests, retries, cacheHits atomic.Int64
	sleep                        func(ctx context.Context, d time.Duration) error
}

// NewClient validates cfg and reads the API key from the named environment variable.
func NewClient(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, errors.New("popi: client needs a base URL and a model")
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("popi: client base URL %q is not http(s)", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	c := &Client{cfg: cfg, sleep: sleepCtx}
	if cfg.APIKeyEnv != "" {
		c.key = strings.TrimSpace(os.Getenv(cfg.APIKeyEnv))
		if c.key == "" {
			return nil, fmt.Errorf("popi: environment variable %s (API key) is not set", cfg.APIKeyEnv)
		}
	}
	if c.cfg.Timeout <= 0 {
		c.cfg.Timeout = 60 * time.Second
	}
	if c.cfg.MaxRetries == 0 {
		c.cfg.MaxRetries = 5
	}
	if c.cfg.MaxRetries < 0 {
		c.cfg.MaxRetries = 0
	}
	if c.cfg.BackoffBase <= 0 {
		c.cfg.BackoffBase = 500 * time.Millisecond
	}
	if c.cfg.BackoffMax <= 0 {
		c.cfg.BackoffMax = 30 * time.Second
	}
	if c.cfg.RetryAfterMax <= 0 {
		c.cfg.RetryAfterMax = 5 * time.Minute
	}
	if c.cfg.Concurrency <= 0 {
		c.cfg.Concurrency = 4
	}
	if c.cfg.HTTPClient == nil {
		c.cfg.HTTPClient = &http.Client{}
	}
	c.sem = make(chan struct{}, c.cfg.Concurrency)
	return c, nil
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Retries: c.retries.Load(), CacheHits: c.cacheHits.Load()}
}

// Generate implements Generator with a system and a user message (no system message if empty).
func (c *Client) Generate(ctx context.Context, system, user string) (string, error) {
	var msgs []Message
	if system != "" {
		msgs = append(msgs, Message{Role: "system", Content: system})
	}
	return c.Chat(ctx, append(msgs, Message{Role: "user", Content: user}))
}

type chatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
}

// httpError is a failed attempt with its status; retryable for 429 and 5xx.
type httpError struct {
	status     int
	body       string
	retryAfter time.Duration // from the Retry-After header, if any
}

func (e *httpError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, e.body)
}

// Chat sends one chat-completions request (or answers it from the cache) and returns the
// first choice's content.
func (c *Client) Chat(ctx context.Context, msgs []Message) (string, error) {
	if len(msgs) == 0 {
		return "", errors.New("popi: Chat: no messages")
	}
	body, err := json.Marshal(chatRequest{Model: c.cfg.Model, Messages: msgs, Temperature: c.cfg.Temperature, MaxTokens: c.cfg.MaxTokens})
	if err != nil {
		return "", fmt.Errorf("popi: Chat: %w", err)
	}
	if len(body) > maxRequest {
		return "", fmt.Errorf("popi: Chat: request of %d bytes exceeds the %d-byte limit", len(body), maxRequest)
	}
	key := cacheKey(c.cfg.BaseURL, body)
	if c.cfg.CacheDir != "" {
		if s, ok := readCache(c.cfg.CacheDir, key); ok {
			c.cacheHits.Add(1)
			return s, nil
		}
	}
	var lastErr error
	for attempt := 0; attempt <= c.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			c.retries.Add(1)
			wait := c.backoff(attempt)
			var he *httpError
			if errors.As(lastErr, &he) && he.retryAfter > 0 {
				if he.retryAfter > c.cfg.RetryAfterMax {
					return "", fmt.Errorf("popi: Chat: server asks to retry after %v (more than %v): %w", he.retryAfter, c.cfg.RetryAfterMax, lastErr)
				}
				wait = he.retryAfter
			}
			if err := c.sleep(ctx, wait); err != nil {
				return "", fmt.Errorf("popi: Chat: %w (last error: %v)", err, lastErr)
			}
		}
		content, err := c.attempt(ctx, body)
		if err == nil {
			if c.cfg.CacheDir != "" {
				if werr := writeCache(c.cfg.CacheDir, key, body, content); werr != nil {
					return "", werr
				}
			}
			return content, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return "", fmt.Errorf("popi: Chat: %w", ctx.Err())
		}
		if !retryable(err) {
			return "", fmt.Errorf("popi: Chat: %w", err)
		}
	}
	return "", fmt.Errorf("popi: Chat: giving up after %d attempts: %w", c.cfg.MaxRetries+1, lastErr)
}

// retryable: 429, 5xx, and transport failures (including per-attempt timeouts).
func retryable(err error) bool {
	var he *httpError
	if errors.As(err, &he) {
		return he.status == http.StatusTooManyRequests || he.status >= 500
	}
	var pe *protocolError
	return !errors.As(err, &pe)
}

// protocolError is a 2xx answer that is not a usable chat completion (not retried).
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func (c *Client) attempt(ctx context.Context, body []byte) (string, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-c.sem }()
	c.requests.Add(1)
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.cfg.BaseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return "", &protocolError{err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", &redactedError{msg: c.redact(err.Error()), err: err}
	}
	defer resp.Body.Close()
	if resp.ContentLength > maxBody {
		return "", &protocolError{fmt.Sprintf("HTTP %d: response body of %d bytes exceeds the %d-byte limit", resp.StatusCode, resp.ContentLength, maxBody)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxBody {
		return "", &protocolError{fmt.Sprintf("HTTP %d: response body exceeds the %d-byte limit", resp.StatusCode, maxBody)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", &httpError{status: resp.StatusCode, body: c.excerpt(data, 300), retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
	}
	var cr chatResponse
	if err := json.Unmarshal(data, &cr); err != nil {
		return "", &protocolError{fmt.Sprintf("malformed JSON response: %v (body %q)", err, c.excerpt(data, 200))}
	}
	if len(cr.Choices) == 0 || cr.Choices[0].Message.Content == nil {
		return "", &protocolError{fmt.Sprintf("response has no choices[0].message.content (body %q)", c.excerpt(data, 200))}
	}
	return *cr.Choices[0].Message.Content, nil
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// backoff is BackoffBase * 2^(attempt-1), capped at BackoffMax, with +-25% jitter.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffBase << min(attempt-1, 30)
	if d <= 0 || d > c.cfg.BackoffMax {
		d = c.cfg.BackoffMax
	}
	return time.Duration(float64(d) * (0.75 + 0.5*rand.Float64()))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clip shortens s to at most n bytes for error messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
