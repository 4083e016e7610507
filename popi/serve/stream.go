package serve

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// sse writes server-sent events in OpenAI's form: "data: JSON" lines, then "data: [DONE]".
type sse struct {
	w   http.ResponseWriter
	f   http.Flusher
	err error
}

func newSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &sse{w: w, f: f}
}

func (s *sse) raw(b []byte) error {
	if s.err != nil {
		return s.err
	}
	if _, err := s.w.Write(b); err != nil {
		s.err = err
		return err
	}
	if s.f != nil {
		s.f.Flush()
	}
	return nil
}

func (s *sse) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.raw(append(append([]byte("data: "), b...), '\n', '\n'))
}

// error reports a failure after the stream started (as vLLM does: an error object as
// one event), then ends the stream.
func (s *sse) error(err error) {
	typ, msg := "server_error", err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		typ, msg = "timeout", "request timed out"
	case errors.Is(err, context.Canceled):
		return // the client left
	}
	s.send(apiError{Error: apiErrorBody{Message: msg, Type: typ}})
	s.done()
}

func (s *sse) done() { s.raw([]byte("data: [DONE]\n\n")) }
