package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// Options configures a Server.
type Options struct {
	// ModelName is the id /v1/models lists and requests must name.
	ModelName string
	// Tokenizer is the generator's tokenizer (required).
	Tokenizer *llama.Tokenizer
	// Plain renders chats with the base-model template instead of the Llama 3.2 one.
	Plain  bool
	Engine EngineOptions
	// Prompting selects the paper's templates (family, signal mode, template set) for
	// summaries and personalized generator prompts.
	Prompting prompt.Prompting
	// Summarizer writes user summaries (Algorithm 2, line 1); nil uses the generator
	// itself with the inference template (the paper's Inference-Prompting).
	Summarizer *popi.Summarizer
	// SummarizerName identifies the summary writer; a stored summary written by another
	// one is recomputed.
	SummarizerName string
	// Store keeps users' signals and summaries; nil disables the /v1/users endpoints.
	Store *Store
	// APIKey, when set, is required as "Authorization: Bearer KEY" on every endpoint but
	// /health.
	APIKey string
	// MaxBodyBytes caps a request body (default 4 MiB); signals bodies get
	// MaxSignalsBytes (default 16 MiB).
	MaxBodyBytes, MaxSignalsBytes int64
	// RequestTimeout ends a request that has not finished (default 10 minutes).
	RequestTimeout time.Duration
}

// Server is the HTTP side of popi's OpenAI-compatible API.
type Server struct {
	opts    Options
	m       *llama.Model
	tok     *llama.Tokenizer
	eng     *Engine
	enc     *prompt.ChatEncoder
	stopIDs []int
	mux     *http.ServeMux
	metrics *metrics
	sumMu   sync.Mutex    // one summary written at a time
	sumWait chan struct{} // bounds the summary requests waiting for sumMu
	created int64
}

// New starts a server's engine on m (the generator: a base model, a full checkpoint or an
// adapter view). Close stops it.
func New(m *llama.Model, opts Options) (*Server, error) {
	if m == nil || opts.Tokenizer == nil {
		return nil, errors.New("serve: a model and its tokenizer are required")
	}
	if opts.Tokenizer.VocabSize() > m.Config.Vocab {
		return nil, fmt.Errorf("serve: tokenizer has %d tokens, the model only %d", opts.Tokenizer.VocabSize(), m.Config.Vocab)
	}
	if opts.ModelName == "" {
		opts.ModelName = "popi"
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 4 << 20
	}
	if opts.MaxSignalsBytes <= 0 {
		opts.MaxSignalsBytes = 16 << 20
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Minute
	}
	enc, err := prompt.NewChatEncoder(opts.Tokenizer, m.Config, opts.Plain)
	if err != nil {
		return nil, err
	}
	if opts.Summarizer == nil {
		opts.Summarizer = &popi.Summarizer{Model: m, Enc: enc, P: opts.Prompting, MaxTokens: 256}
		if opts.SummarizerName == "" {
			opts.SummarizerName = opts.ModelName + " (inference prompting)"
		}
	}
	s := &Server{opts: opts, m: m, tok: opts.Tokenizer, enc: enc, mux: http.NewServeMux(), created: time.Now().Unix(),
		sumWait: make(chan struct{}, maxSummaryWaiting)}
	s.stopIDs = append(s.stopIDs, m.Config.EOS...)
	if !containsInt(s.stopIDs, enc.End) {
		s.stopIDs = append(s.stopIDs, enc.End)
	}
	s.eng = NewEngine(m, opts.Engine)
	s.metrics = newMetrics(s.eng)
	s.routes()
	return s, nil
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// maxSummaryWaiting bounds the summary requests being written or waiting (more get 429).
const maxSummaryWaiting = 8

// Engine returns the server's batching engine.
func (s *Server) Engine() *Engine { return s.eng }

// Close stops the engine (requests in flight fail).
func (s *Server) Close() { s.eng.Close() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			if !rw.wrote {
				writeError(rw, http.StatusInternalServerError, "server_error", fmt.Sprintf("internal error: %v", p))
			}
		}
		s.metrics.request(routeName(r), rw.code, time.Since(start))
	}()
	if r.URL.Path != "/health" && s.opts.APIKey != "" && !s.authorized(r) {
		writeErrorCode(rw, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			"missing or invalid API key: send it as \"Authorization: Bearer KEY\"")
		return
	}
	s.mux.ServeHTTP(rw, r)
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(h, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(key)), []byte(s.opts.APIKey)) == 1
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	s.mux.HandleFunc("POST /v1/completions", s.handleCompletions)
	s.mux.HandleFunc("GET /v1/models", s.handleModels)
	s.mux.HandleFunc("GET /v1/models/{id...}", s.handleModel)
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	s.mux.HandleFunc("GET /metrics", s.metrics.serve)
	s.mux.HandleFunc("PUT /v1/users/{id}/signals", s.handlePutSignals)
	s.mux.HandleFunc("GET /v1/users/{id}/signals", s.handleGetSignals)
	s.mux.HandleFunc("GET /v1/users/{id}/summary", s.handleGetSummary)
	s.mux.HandleFunc("DELETE /v1/users/{id}", s.handleDeleteUser)
	// Known paths with another method: 405 in OpenAI's error shape (the mux's own is text).
	for path, allow := range map[string]string{"/v1/chat/completions": "POST", "/v1/completions": "POST", "/v1/models": "GET",
		"/v1/models/{id...}": "GET", "/health": "GET", "/metrics": "GET", "/v1/users/{id}/signals": "GET, PUT",
		"/v1/users/{id}/summary": "GET", "/v1/users/{id}": "DELETE"} {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", fmt.Sprintf("%s %s: method not allowed (use %s)", r.Method, r.URL.Path, allow))
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path))
	})
}

// routeName is the metrics label of a request (a fixed set, never the raw path).
func routeName(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/v1/chat/completions", p == "/v1/completions", p == "/v1/models", p == "/health", p == "/metrics":
		return p
	case strings.HasPrefix(p, "/v1/models/"):
		return "/v1/models/{id}"
	case strings.HasPrefix(p, "/v1/users/") && strings.HasSuffix(p, "/signals"):
		return "/v1/users/{id}/signals"
	case strings.HasPrefix(p, "/v1/users/") && strings.HasSuffix(p, "/summary"):
		return "/v1/users/{id}/summary"
	case strings.HasPrefix(p, "/v1/users/"):
		return "/v1/users/{id}"
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.wrote = true
		f.Flush()
	}
}

// apiError is OpenAI's error body.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeErrorCode(w, status, typ, "", msg)
}

func writeErrorCode(w http.ResponseWriter, status int, typ, code, msg string) {
	b := apiErrorBody{Message: msg, Type: typ}
	if code != "" {
		b.Code = &code
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(apiError{Error: b})
}

// badRequest is a client error with OpenAI's invalid_request_error type.
type badRequest struct {
	status int
	msg    string
}

func (e *badRequest) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return &badRequest{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// statusClientClosed is the status recorded for requests whose client disconnected.
const statusClientClosed = 499

// fail writes err: a badRequest with its status, a full queue as 429 with Retry-After, a
// closed engine as 503, a timeout as 504, anything else as 500.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var br *badRequest
	switch {
	case errors.As(err, &br):
		writeError(w, br.status, "invalid_request_error", br.msg)
	case errors.Is(err, ErrQueueFull):
		w.Header().Set("Retry-After", "1")
		writeErrorCode(w, http.StatusTooManyRequests, "rate_limit_exceeded", "rate_limit_exceeded",
			"the server is busy: its request queue is full; retry later")
	case errors.Is(err, ErrClosed):
		writeError(w, http.StatusServiceUnavailable, "server_error", "the server is shutting down")
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "timeout", "request timed out")
	case errors.Is(err, context.Canceled):
		// The client went away: nobody reads this; 499 (nginx's "client closed request")
		// keeps such requests out of the 5xx counts of /metrics.
		writeError(w, statusClientClosed, "invalid_request_error", "client closed the request")
	default:
		writeError(w, http.StatusInternalServerError, "server_error", err.Error())
	}
}

// decodeBody reads a JSON body of at most limit bytes into v, refusing unknown fields
// and trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return &badRequest{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body exceeds %d bytes", limit)}
		}
		if errors.Is(err, io.EOF) {
			return invalid("empty request body: a JSON object is expected")
		}
		return invalid("invalid JSON body: %v", err)
	}
	if dec.More() {
		return invalid("invalid JSON body: data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return &badRequest{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body exceeds %d bytes", limit)}
		}
		return invalid("invalid JSON body: data after the JSON object")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	// MaxModelLen is vLLM's context-length field.
	MaxModelLen int `json:"max_model_len,omitempty"`
}

func (s *Server) model() modelObject {
	return modelObject{ID: s.opts.ModelName, Object: "model", Created: s.created, OwnedBy: "popi", MaxModelLen: s.m.Config.MaxPositions}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"object": "list", "data": []modelObject{s.model()}})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != s.opts.ModelName {
		writeErrorCode(w, http.StatusNotFound, "invalid_request_error", "model_not_found", fmt.Sprintf("the model %q does not exist", r.PathValue("id")))
		return
	}
	writeJSON(w, s.model())
}

// checkModel accepts the served model's name (or an empty one).
func (s *Server) checkModel(name string) error {
	if name != "" && name != s.opts.ModelName {
		return &badRequest{status: http.StatusNotFound, msg: fmt.Sprintf("the model %q does not exist; this server serves %q", name, s.opts.ModelName)}
	}
	return nil
}

// family is the data family of the server's templates (for summaries).
func (s *Server) family() data.Family { return s.opts.Prompting.Family }
