package popi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// SummaryRecord is a user's stored preference summary (Algorithm 2 writes it once; every
// later generation for the user reuses it).
type SummaryRecord struct {
	User        string  `json:"user,omitempty"`
	Family      string  `json:"family"`
	Model       string  `json:"model"`
	Signals     string  `json:"signals"`
	Summary     string  `json:"summary"`
	Tokens      int     `json:"tokens"`
	Seed        uint64  `json:"seed"`
	Temperature float64 `json:"temperature"`
}

// ReadSummaryRecord reads a stored summary, checking it is complete.
func ReadSummaryRecord(path string) (*SummaryRecord, error) {
	var r SummaryRecord
	if err := ReadJSON(path, &r); err != nil {
		return nil, err
	}
	if r.Signals == "" || r.Family == "" {
		return nil, fmt.Errorf("popi: %s: summary record without signals or family", path)
	}
	return &r, nil
}

// UserSignals renders the signals of one user of a dataset: its first shots pairs (the
// family default when shots is 0).
func UserSignals(d *data.Dataset, user string, shots int) (string, error) {
	u := d.User(user)
	if u == nil {
		return "", fmt.Errorf("popi: no user %q in the dataset (%d users)", user, len(d.Users))
	}
	if shots <= 0 {
		shots = d.Family.DefaultShots()
	}
	if len(u.Pairs) < shots {
		return "", fmt.Errorf("popi: user %q has %d pairs, %d requested as signals", user, len(u.Pairs), shots)
	}
	return prompt.RenderPreferencePairs(u.Pairs[:shots]), nil
}

// StoredSummary is the reuse-or-write step of Algorithm 2: a user's summary is written
// once and every later generation reuses it. It returns the record stored at path
// (reused true) or, when there is none, the record write produces, stored atomically at
// path first. A record that exists but does not read is an error, never overwritten.
func StoredSummary(path string, write func() (*SummaryRecord, error)) (rec *SummaryRecord, reused bool, err error) {
	rec, err = ReadSummaryRecord(path)
	switch {
	case err == nil:
		return rec, true, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, err
	}
	if rec, err = write(); err != nil {
		return nil, false, err
	}
	if err := atomicfile.WriteJSON(path, rec, fileMode); err != nil {
		return nil, false, err
	}
	return rec, false, nil
}

// SummaryWriter writes a user's summary record with a trained inference model (Algorithm 2,
// line 1): the model directory's πφ, greedy or sampled, through the family's inference
// template.
type SummaryWriter struct {
	Model       string // inference model directory
	Plain       bool   // plain template (base, non-instruct models)
	Family      data.Family
	User        string // recorded with the summary (may be empty)
	MaxTokens   int
	Temperature float64 // 0: greedy
	Seed        uint64
}

// Write summarizes signals and returns the record (not yet stored; see StoredSummary).
func (w *SummaryWriter) Write(ctx context.Context, signals string) (*SummaryRecord, error) {
	m, tok, err := LoadBase(w.Model, "")
	if err != nil {
		return nil, err
	}
	enc, err := prompt.NewChatEncoder(tok, m.Config, w.Plain)
	if err != nil {
		return nil, err
	}
	s := &Summarizer{Model: m, Enc: enc, P: prompt.Prompting{Family: w.Family}, MaxTokens: w.MaxTokens, Temperature: w.Temperature, Seed: w.Seed}
	z, err := s.Summarize(ctx, signals, "")
	if err != nil {
		return nil, err
	}
	return &SummaryRecord{User: w.User, Family: w.Family.String(), Model: w.Model, Signals: signals, Summary: z,
		Tokens: enc.CountTokens(z), Seed: w.Seed, Temperature: w.Temperature}, nil
}
