// Package openaitest serves fake OpenAI-compatible chat completions for tests of the
// client (package openai) and of what is built on it (the LLM judge, transfer generators).
// It defines the wire format on its own, so the client's encoding is checked against an
// independent description of it.
package openaitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Message is one chat message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is a chat-completions request body.
type Request struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
}

// Server answers POST /v1/chat/completions with reply(n, request, r), where n counts calls
// from 1 and reply returns the status, extra headers and the raw body; other paths are
// 404, an undecodable body 400. The server is closed when the test ends; calls counts
// every request, including rejected ones. The client's base URL is srv.URL + "/v1".
func Server(t testing.TB, reply func(n int, req Request, r *http.Request) (int, map[string]string, string)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.Error(w, "wrong endpoint "+r.URL.Path, http.StatusNotFound)
			return
		}
		var req Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad request body", http.StatusBadRequest)
			return
		}
		status, hdr, body := reply(n, req, r)
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// Completion is a chat.completion response body whose first choice says content.
func Completion(content string) string {
	b, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}}})
	return string(b)
}
