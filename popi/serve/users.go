package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// userIDPattern is what a user id may look like: it is only ever a database key.
var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$`)

func checkUserID(id string) error {
	if !userIDPattern.MatchString(id) {
		return invalid("bad user id %q: 1-128 characters from A-Z a-z 0-9 . _ @ : - starting with a letter or digit", truncate(id, 40))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// signalsRequest is PUT /v1/users/{id}/signals' body: preference pairs (the FSPO datasets'
// schema) or raw signal text (AlignX's rendered signals), not both.
type signalsRequest struct {
	Pairs   []data.PrefPair `json:"pairs"`
	Signals string          `json:"signals"`
}

// maxSignalPairs bounds the pairs of one user.
const maxSignalPairs = 1024

// render checks the signals and renders them as the inference template's {user_signals}.
func (r *signalsRequest) render() (string, error) {
	switch {
	case len(r.Pairs) > 0 && r.Signals != "":
		return "", invalid("give pairs or signals, not both")
	case len(r.Pairs) > maxSignalPairs:
		return "", invalid("at most %d pairs, got %d", maxSignalPairs, len(r.Pairs))
	case len(r.Pairs) > 0:
		for i, p := range r.Pairs {
			if strings.TrimSpace(p.Prompt) == "" || strings.TrimSpace(p.Chosen) == "" || strings.TrimSpace(p.Rejected) == "" {
				return "", invalid("pairs[%d]: prompt, chosen and rejected must all be non-empty", i)
			}
		}
		return prompt.RenderPreferencePairs(r.Pairs), nil
	case strings.TrimSpace(r.Signals) != "":
		return r.Signals, nil
	}
	return "", invalid("no signals: give pairs (prompt, chosen, rejected) or signals (text)")
}

// summaryResponse is what the user endpoints return.
type summaryResponse struct {
	ID            string    `json:"id"`
	Object        string    `json:"object"`
	Summary       string    `json:"summary"`
	SummaryTokens int       `json:"summary_tokens"`
	SignalsSHA256 string    `json:"signals_sha256"`
	Summarizer    string    `json:"summarizer"`
	Family        string    `json:"family"`
	Recomputed    *bool     `json:"recomputed,omitempty"`
	Updated       time.Time `json:"updated"`
}

func toSummary(rec *UserRecord) summaryResponse {
	return summaryResponse{ID: rec.ID, Object: "user.summary", Summary: rec.Summary, SummaryTokens: rec.SummaryTokens,
		SignalsSHA256: rec.SignalsSHA256, Summarizer: rec.Summarizer, Family: rec.Family, Updated: rec.Updated}
}

// user checks the store and the id of a /v1/users request.
func (s *Server) user(r *http.Request) (string, error) {
	if s.opts.Store == nil {
		return "", &badRequest{status: http.StatusNotFound, msg: "this server has no user store (start it with -db FILE)"}
	}
	id := r.PathValue("id")
	return id, checkUserID(id)
}

// signalsHash identifies what a summary depends on: the rendered signals, the summary
// writer and the templates.
func (s *Server) signalsHash(signals string) string {
	p := s.opts.Prompting
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%v\x00%d\x00%d\x00%s", s.opts.SummarizerName, p.Family, p.Mode, p.Templates, signals)))
	return hex.EncodeToString(h[:])
}

func (s *Server) handlePutSignals(w http.ResponseWriter, r *http.Request) {
	id, err := s.user(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	var req signalsRequest
	if err := decodeBody(w, r, s.opts.MaxSignalsBytes, &req); err != nil {
		s.fail(w, err)
		return
	}
	signals, err := req.render()
	if err != nil {
		s.fail(w, err)
		return
	}
	hash := s.signalsHash(signals)
	old, ok, err := s.opts.Store.Get(id)
	if err != nil {
		s.fail(w, err)
		return
	}
	if ok && old.SignalsSHA256 == hash && old.Summary != "" {
		resp := toSummary(old)
		f := false
		resp.Recomputed = &f
		writeJSON(w, resp)
		return
	}
	select {
	case s.sumWait <- struct{}{}:
		defer func() { <-s.sumWait }()
	default:
		s.fail(w, ErrQueueFull)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	s.sumMu.Lock()
	z, err := s.opts.Summarizer.Summarize(ctx, signals, "")
	s.sumMu.Unlock()
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			s.fail(w, err)
			return
		}
		s.fail(w, invalid("cannot write a summary of these signals: %v", err))
		return
	}
	rec := &UserRecord{ID: id, Pairs: req.Pairs, SignalText: req.Signals, Signals: signals, SignalsSHA256: hash,
		Summary: z, SummaryTokens: s.opts.Summarizer.Enc.CountTokens(z), Summarizer: s.opts.SummarizerName,
		Family: s.family().String(), Updated: time.Now().UTC()}
	if err := s.opts.Store.Put(rec); err != nil {
		s.fail(w, err)
		return
	}
	resp := toSummary(rec)
	t := true
	resp.Recomputed = &t
	writeJSON(w, resp)
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*UserRecord, bool) {
	id, err := s.user(r)
	if err != nil {
		s.fail(w, err)
		return nil, false
	}
	rec, ok, err := s.opts.Store.Get(id)
	if err != nil {
		s.fail(w, err)
		return nil, false
	}
	if !ok {
		writeErrorCode(w, http.StatusNotFound, "invalid_request_error", "user_not_found", fmt.Sprintf("no signals stored for user %q", id))
		return nil, false
	}
	return rec, true
}

func (s *Server) handleGetSummary(w http.ResponseWriter, r *http.Request) {
	if rec, ok := s.lookup(w, r); ok {
		writeJSON(w, toSummary(rec))
	}
}

func (s *Server) handleGetSignals(w http.ResponseWriter, r *http.Request) {
	if rec, ok := s.lookup(w, r); ok {
		writeJSON(w, map[string]any{"id": rec.ID, "object": "user.signals", "pairs": rec.Pairs, "signals": rec.SignalText,
			"rendered": rec.Signals, "signals_sha256": rec.SignalsSHA256})
	}
}

func (s *Server) handleDeleteUser(w http.ResponseWriter, r *http.Request) {
	id, err := s.user(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	ok, err := s.opts.Store.Delete(id)
	if err != nil {
		s.fail(w, err)
		return
	}
	if !ok {
		writeErrorCode(w, http.StatusNotFound, "invalid_request_error", "user_not_found", fmt.Sprintf("no signals stored for user %q", id))
		return
	}
	writeJSON(w, map[string]any{"id": id, "object": "user.deleted", "deleted": true})
}
