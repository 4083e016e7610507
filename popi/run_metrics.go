package popi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/internal/safefile"
)

// maxMetricsFile caps metrics.jsonl read back on resume.
const maxMetricsFile = 1 << 30

// metricKey identifies a metrics row: its phase and, for training phases, its step.
// metrics.jsonl holds at most one row per key.
type metricKey struct {
	phase string
	step  string // the step's JSON text, "" for rows without one
}

func keyOf(line []byte) (metricKey, bool) {
	var r struct {
		Phase *string         `json:"phase"`
		Step  json.RawMessage `json:"step"`
	}
	if json.Unmarshal(line, &r) != nil || r.Phase == nil {
		return metricKey{}, false
	}
	return metricKey{*r.Phase, string(r.Step)}, true
}

// SyncMetrics makes the rows written so far durable (fsync). A phase calls it before
// each checkpoint, so after a crash the log holds at least every row up to the
// checkpoint it resumes from.
func (r *Run) SyncMetrics() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.metrics == nil {
		return nil
	}
	if err := r.metrics.Sync(); err != nil {
		return fmt.Errorf("popi: metrics log: %w", err)
	}
	return nil
}

// TruncateMetrics removes the rows of phase whose step is from or later: a phase
// resuming at step from calls it so the steps it runs again are not logged twice.
func (r *Run) TruncateMetrics(phase string, from int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rewriteMetrics(func(line []byte) bool {
		var row struct {
			Phase string `json:"phase"`
			Step  *int   `json:"step"`
		}
		return json.Unmarshal(line, &row) != nil || row.Phase != phase || row.Step == nil || *row.Step < from
	})
}

// loadMetrics reads the keys of an existing log (on resume) and drops a last line that
// a crash cut short.
func (r *Run) loadMetrics() error {
	r.keys = map[metricKey]bool{}
	return r.rewriteMetrics(func([]byte) bool { return true })
}

// rewriteMetrics keeps the complete lines of metrics.jsonl for which keep is true,
// replacing the file atomically when that changes it, reopens it for appending and
// rebuilds the key set. The caller holds r.mu.
func (r *Run) rewriteMetrics(keep func(line []byte) bool) error {
	path := filepath.Join(r.Dir, "metrics.jsonl")
	data, err := safefile.ReadFile(path, maxMetricsFile)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("popi: metrics log: %w", err)
	}
	var out bytes.Buffer
	keys := map[metricKey]bool{}
	changed := false
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			changed = true // a torn last line
			break
		}
		line := data[:i+1]
		data = data[i+1:]
		if !keep(bytes.TrimSpace(line)) {
			changed = true
			continue
		}
		out.Write(line)
		if k, ok := keyOf(line); ok {
			keys[k] = true
		}
	}
	r.keys = keys
	if !changed && r.metrics != nil {
		return nil
	}
	if r.metrics != nil {
		r.metrics.Close()
		r.metrics = nil
	}
	if err := atomicfile.WriteFile(path, out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("popi: metrics log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("popi: metrics log: %w", err)
	}
	r.metrics = f
	return nil
}
