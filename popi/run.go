package popi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/popi-go/popi/internal/safefile"
)

// Run is a run directory: config.json, metrics.jsonl (one JSON object per line, appended
// and flushed as steps finish), checkpoints under ckpt/, plots and results. Every file other
// than the metrics log is written atomically (temporary file in the same directory, then
// rename).
type Run struct {
	Dir string
	// Log receives progress lines (nil: discarded).
	Log io.Writer

	mu      sync.Mutex
	metrics *os.File
	keys    map[metricKey]bool // rows in metrics.jsonl
}

// OpenRun creates (or, with resume, reopens) a run directory. Without resume an existing
// non-empty directory holding a config.json is an error, so a finished run is never
// overwritten by accident.
func OpenRun(dir string, resume bool, log io.Writer) (*Run, error) {
	if dir == "" {
		return nil, errors.New("popi: empty run directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("popi: run directory: %w", err)
	}
	_, err := os.Stat(filepath.Join(dir, "config.json"))
	switch {
	case err == nil && !resume:
		return nil, fmt.Errorf("popi: run directory %s already holds a run (use -resume to continue it, or another -out)", dir)
	case err != nil && resume:
		return nil, fmt.Errorf("popi: cannot resume: %s has no config.json", dir)
	}
	if log == nil {
		log = io.Discard
	}
	r := &Run{Dir: dir, Log: log, keys: map[metricKey]bool{}}
	if resume {
		if err := r.loadMetrics(); err != nil {
			return nil, err
		}
		return r, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, "metrics.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("popi: metrics log: %w", err)
	}
	r.metrics = f
	return r, nil
}

// Close closes the metrics log.
func (r *Run) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.metrics == nil {
		return nil
	}
	err := r.metrics.Sync()
	if cerr := r.metrics.Close(); err == nil {
		err = cerr
	}
	r.metrics = nil
	return err
}

// Path joins elements onto the run directory.
func (r *Run) Path(elem ...string) string { return filepath.Join(append([]string{r.Dir}, elem...)...) }

// Logf writes a progress line.
func (r *Run) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.Log, format, args...)
}

// Metric appends one record to metrics.jsonl. Non-finite values are written as null
// (JSON has no NaN) so the log always parses. The log holds one row per (phase, step):
// a record whose phase and step (or phase, for records without a step, such as those a
// resumed run computes again) are already there replaces the earlier row.
func (r *Run) Metric(rec map[string]any) error {
	clean := make(map[string]any, len(rec)+1)
	for k, v := range rec {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			v = nil
		}
		clean[k] = v
	}
	clean["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(clean)
	if err != nil {
		return fmt.Errorf("popi: metric: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.metrics == nil {
		return errors.New("popi: metric on a closed run")
	}
	k, _ := keyOf(b)
	if r.keys[k] {
		if err := r.rewriteMetrics(func(line []byte) bool { lk, ok := keyOf(line); return !ok || lk != k }); err != nil {
			return err
		}
	}
	if _, err := r.metrics.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("popi: metrics log: %w", err)
	}
	if _, ok := keyOf(b); ok {
		r.keys[k] = true
	}
	return nil
}

// fileMode is the mode of the files popi writes (run directories, reports, summary
// records): 0600, the mode they had before internal/atomicfile, when os.CreateTemp made them.
const fileMode = 0o600

// maxJSONFile caps the JSON files of a run directory read back (configs, states,
// summaries).
const maxJSONFile = 1 << 30

// ReadJSON decodes a JSON file into v, rejecting unknown fields and trailing data.
func ReadJSON(path string, v any) error {
	b, err := safefile.ReadFile(path, maxJSONFile)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("popi: %s: %w", path, err)
	}
	if dec.More() {
		return fmt.Errorf("popi: %s: trailing data after the JSON value", path)
	}
	return nil
}

// Progress prints "step i/n, rate, ETA" lines for a phase.
type Progress struct {
	Phase string
	Total int
	Unit  string // e.g. "steps"
	start time.Time
	first int
}

// NewProgress starts timing a phase whose first counted step is first (for resumed runs).
func NewProgress(phase string, first, total int, unit string) *Progress {
	return &Progress{Phase: phase, Total: total, Unit: unit, start: time.Now(), first: first}
}

// Line formats the progress after done units (counting from 0), with extra text appended.
func (p *Progress) Line(done int, extra string) string {
	el := time.Since(p.start)
	n := done - p.first
	rate := 0.0
	if el > 0 {
		rate = float64(n) / el.Seconds()
	}
	eta := "?"
	if rate > 0 && p.Total >= done {
		eta = (time.Duration(float64(p.Total-done)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %d/%d %s  %.2f %s/s  elapsed %s  ETA %s  %s\n", p.Phase, done, p.Total, p.Unit,
		rate, p.Unit, el.Round(time.Second), eta, extra)
}
