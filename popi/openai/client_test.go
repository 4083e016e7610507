package openai

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popi-go/popi/popi/openai/openaitest"
)

func testClient(t *testing.T, url string, cfg Config) (*Client, *[]time.Duration) {
	t.Helper()
	cfg.BaseURL, cfg.Model = url+"/v1", "judge-model"
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 100 * time.Millisecond
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var slept []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, &slept
}

func TestClientSuccessAndCache(t *testing.T) {
	t.Setenv("POPI_TEST_KEY", "sk-test")
	srv, calls := openaitest.Server(t, func(n int, req openaitest.Request, r *http.Request) (int, map[string]string, string) {
		if r.Header.Get("Authorization") != "Bearer sk-test" || req.Model != "judge-model" || len(req.Messages) != 2 ||
			req.Messages[0].Role != "system" || req.Messages[1].Content != "hello" {
			return 400, nil, `{"error":"unexpected request"}`
		}
		return 200, nil, openaitest.Completion("hi there")
	})
	dir := t.TempDir()
	c, _ := testClient(t, srv.URL, Config{APIKeyEnv: "POPI_TEST_KEY", CacheDir: dir})
	got, err := c.Generate(context.Background(), "sys", "hello")
	if err != nil || got != "hi there" {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, err = c.Generate(context.Background(), "sys", "hello"); err != nil || got != "hi there" || calls.Load() != 1 {
		t.Fatalf("cached call: %q %v, %d server calls", got, err, calls.Load())
	}
	// A rerun with a new client and the same cache costs nothing.
	c2, _ := testClient(t, srv.URL, Config{APIKeyEnv: "POPI_TEST_KEY", CacheDir: dir})
	if got, err = c2.Generate(context.Background(), "sys", "hello"); err != nil || got != "hi there" || calls.Load() != 1 || c2.Stats().CacheHits != 1 {
		t.Fatalf("rerun: %q %v, %d server calls", got, err, calls.Load())
	}
	// A different request misses; a corrupt entry is refetched and repaired.
	if _, err = c.Generate(context.Background(), "sys", "other"); err == nil || calls.Load() != 2 {
		t.Fatalf("different request: %v, %d calls", err, calls.Load())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	if err := os.WriteFile(files[0], []byte("{trunc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Generate(context.Background(), "sys", "hello"); err != nil || got != "hi there" || calls.Load() != 3 {
		t.Fatalf("after corruption: %q %v, %d calls", got, err, calls.Load())
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*", "*.tmp*")); len(tmp) != 0 {
		t.Fatalf("temporary cache files left: %v", tmp)
	}
}

func TestClientRetryAfterOn429(t *testing.T) {
	srv, calls := openaitest.Server(t, func(n int, _ openaitest.Request, _ *http.Request) (int, map[string]string, string) {
		if n == 1 {
			return 429, map[string]string{"Retry-After": "2"}, `{"error":"slow down"}`
		}
		return 200, nil, openaitest.Completion("ok")
	})
	c, slept := testClient(t, srv.URL, Config{})
	got, err := c.Generate(context.Background(), "", "q")
	if err != nil || got != "ok" || calls.Load() != 2 {
		t.Fatalf("got %q %v after %d calls", got, err, calls.Load())
	}
	if len(*slept) != 1 || (*slept)[0] != 2*time.Second {
		t.Fatalf("slept %v, want exactly the Retry-After of 2s", *slept)
	}
	if s := c.Stats(); s.Requests != 2 || s.Retries != 1 {
		t.Fatalf("stats %+v", s)
	}
	// A Retry-After beyond RetryAfterMax is reported, not waited for.
	srv2, _ := openaitest.Server(t, func(int, openaitest.Request, *http.Request) (int, map[string]string, string) {
		return 429, map[string]string{"Retry-After": "3600"}, `{}`
	})
	c2, _ := testClient(t, srv2.URL, Config{RetryAfterMax: time.Minute})
	if _, err := c2.Generate(context.Background(), "", "q"); err == nil || !strings.Contains(err.Error(), "retry after 1h0m0s") {
		t.Fatalf("long Retry-After: %v", err)
	}
}

func TestClientExponentialBackoffOn5xx(t *testing.T) {
	srv, calls := openaitest.Server(t, func(n int, _ openaitest.Request, _ *http.Request) (int, map[string]string, string) {
		if n <= 3 {
			return []int{500, 502, 503}[n-1], nil, `oops`
		}
		return 200, nil, openaitest.Completion("fine")
	})
	c, slept := testClient(t, srv.URL, Config{BackoffBase: 100 * time.Millisecond, BackoffMax: 300 * time.Millisecond})
	if got, err := c.Generate(context.Background(), "", "q"); err != nil || got != "fine" || calls.Load() != 4 {
		t.Fatalf("got %q %v after %d calls", got, err, calls.Load())
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	for i, d := range *slept {
		if float64(d) < 0.75*float64(want[i]) || float64(d) > 1.25*float64(want[i]) {
			t.Fatalf("backoff %d = %v, want %v +-25%%", i, d, want[i])
		}
	}
	// Persistent failure gives up after MaxRetries+1 attempts.
	srv2, calls2 := openaitest.Server(t, func(int, openaitest.Request, *http.Request) (int, map[string]string, string) { return 500, nil, "down" })
	c2, _ := testClient(t, srv2.URL, Config{MaxRetries: 2})
	if _, err := c2.Generate(context.Background(), "", "q"); err == nil || !strings.Contains(err.Error(), "HTTP 500") || calls2.Load() != 3 {
		t.Fatalf("persistent 500: %v after %d calls", err, calls2.Load())
	}
	// 4xx other than 429 is not retried.
	srv3, calls3 := openaitest.Server(t, func(int, openaitest.Request, *http.Request) (int, map[string]string, string) {
		return 401, nil, `{"error":"bad key"}`
	})
	c3, _ := testClient(t, srv3.URL, Config{})
	if _, err := c3.Generate(context.Background(), "", "q"); err == nil || !strings.Contains(err.Error(), "HTTP 401") || calls3.Load() != 1 {
		t.Fatalf("401: %v after %d calls", err, calls3.Load())
	}
}

func TestClientTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select { // hang until the client gives up or the test ends
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		fmt.Fprint(w, openaitest.Completion("late but fine"))
	}))
	defer srv.Close()
	defer close(release)
	c, _ := testClient(t, srv.URL, Config{Timeout: 100 * time.Millisecond})
	start := time.Now()
	got, err := c.Generate(context.Background(), "", "q")
	if err != nil || got != "late but fine" || calls.Load() != 2 {
		t.Fatalf("got %q %v after %d calls", got, err, calls.Load())
	}
	if time.Since(start) > 3*time.Second {
		t.Fatal("timeout not applied")
	}
}

func TestClientMalformedResponses(t *testing.T) {
	for _, body := range []string{`{"choices": [`, `{"choices": []}`, `{"choices":[{"message":{}}]}`, `<html>proxy error</html>`} {
		srv, calls := openaitest.Server(t, func(int, openaitest.Request, *http.Request) (int, map[string]string, string) { return 200, nil, body })
		c, _ := testClient(t, srv.URL, Config{CacheDir: t.TempDir()})
		_, err := c.Generate(context.Background(), "", "q")
		if err == nil || calls.Load() != 1 {
			t.Fatalf("body %q: err %v after %d calls", body, err, calls.Load())
		}
	}
}

func TestClientConcurrencyLimit(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		inFlight.Add(-1)
		fmt.Fprint(w, openaitest.Completion("x"))
	}))
	defer srv.Close()
	c, _ := testClient(t, srv.URL, Config{Concurrency: 2})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Generate(context.Background(), "", fmt.Sprint("q", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak in flight %d, limit 2", p)
	}
}

func TestNewClientErrors(t *testing.T) {
	t.Setenv("POPI_EMPTY_KEY", "")
	for _, cfg := range []Config{
		{Model: "m"},
		{BaseURL: "http://x"},
		{BaseURL: "ftp://x", Model: "m"},
		{BaseURL: "http://x", Model: "m", APIKeyEnv: "POPI_EMPTY_KEY"},
	} {
		if _, err := NewClient(cfg); err == nil {
			t.Fatalf("accepted %+v", cfg)
		}
	}
}
