package openai

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/popi-go/popi/popi/openai/openaitest"
)

// A 401 that echoes the request's Authorization header (and other key-like strings) does
// not put the API key into the error (issue 16, item 6).
func TestErrorsRedactCredentials(t *testing.T) {
	const key = "sk-proj-Abc123SECRETxyz789"
	t.Setenv("POPI_TEST_KEY", key)
	bodies := []string{
		`{"error":"invalid key","headers":{"Authorization":"%s"}}`,
		`Authorization: %s` + "\nmore",
		`{"error":{"message":"Incorrect API key provided: %s"}}`,
		`{"api_key": "%s", "note": "the key itself"}`,
		`{"x":"` + strings.Repeat("a", 280) + ` %s"}`, // the key straddles the excerpt's end
	}
	for i, tmpl := range bodies {
		srv, _ := openaitest.Server(t, func(n int, _ openaitest.Request, r *http.Request) (int, map[string]string, string) {
			echo := r.Header.Get("Authorization")
			if i == 2 || i == 3 || i == 4 {
				echo = key
			}
			return 401, nil, fmt.Sprintf(tmpl, echo)
		})
		c, _ := testClient(t, srv.URL, Config{APIKeyEnv: "POPI_TEST_KEY", MaxRetries: -1})
		_, err := c.Generate(context.Background(), "", "hi")
		if err == nil {
			t.Fatalf("body %d: 401 accepted", i)
		}
		for _, secret := range []string{key, "SECRET", "Abc123"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("body %d: error shows the key: %v", i, err)
			}
		}
		if !strings.Contains(err.Error(), "401") {
			t.Errorf("body %d: error lost its status: %v", i, err)
		}
	}
	// Unconfigured key-like strings and bearer tokens are redacted too.
	c := &Client{}
	for _, s := range []string{"Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "key sk-live-0123456789abcdef", "token=AIzaSyA1234567890abcdefghijkl"} {
		if got := c.redact(s); strings.Contains(got, "eyJhbGci") || strings.Contains(got, "0123456789abcdef") || strings.Contains(got, "AIzaSy") {
			t.Errorf("redact(%q) = %q", s, got)
		}
	}
	if got := c.redact("plain answer text"); got != "plain answer text" {
		t.Errorf("ordinary text changed: %q", got)
	}
}

// A response body over the cap is reported as too large, not as malformed JSON.
func TestResponseOverCapSaysSo(t *testing.T) {
	big := `{"choices":[{"message":{"content":"` + strings.Repeat("x", maxBody) + `"}}]}`
	srv, _ := openaitest.Server(t, func(int, openaitest.Request, *http.Request) (int, map[string]string, string) {
		return 200, nil, big
	})
	c, _ := testClient(t, srv.URL, Config{MaxRetries: -1})
	_, err := c.Generate(context.Background(), "", "hi")
	if err == nil || !strings.Contains(err.Error(), "exceeds the") || strings.Contains(err.Error(), "malformed") {
		t.Fatalf("oversized body: %v", err)
	}
	// An oversized request is refused before it is sent.
	if _, err := c.Generate(context.Background(), "", strings.Repeat("y", maxRequest)); err == nil || !strings.Contains(err.Error(), "request of") {
		t.Fatalf("oversized request: %v", err)
	}
}

// A transport error naming a URL whose query carries a key does not show the key.
func TestTransportErrorRedacted(t *testing.T) {
	t.Setenv("POPI_TEST_KEY", "sk-proj-TransportSECRET123")
	c, _ := testClient(t, "http://127.0.0.1:1/x?key=sk-proj-TransportSECRET123&api_key=zzsecretzz", Config{APIKeyEnv: "POPI_TEST_KEY", MaxRetries: -1})
	_, err := c.Generate(context.Background(), "", "hi")
	if err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "zzsecretzz") {
		t.Fatalf("transport error: %v", err)
	}
}
