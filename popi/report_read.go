package popi

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/popi-go/popi/internal/safefile"
)

// ReadReport reads a report written by Report.Write (results.json, eval.json,
// transfer.json). The summaries are checked, so a hand-edited or truncated file is refused
// with its path rather than rendered as a wrong table.
func ReadReport(path string) (*Report, error) {
	data, err := safefile.ReadFile(path, maxJSONFile)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("popi: report %s: %w", path, err)
	}
	if len(r.Summaries) == 0 {
		return nil, fmt.Errorf("popi: report %s: no summaries", path)
	}
	for i, s := range r.Summaries {
		if s.Method == "" || s.Dataset == "" {
			return nil, fmt.Errorf("popi: report %s: summary %d has no method or dataset", path, i)
		}
		for _, st := range []Stat{s.AvgLen, s.Acc, s.WinRate} {
			if st.N < 0 || math.IsNaN(st.Mean) || math.IsInf(st.Mean, 0) || math.IsNaN(st.Std) || math.IsInf(st.Std, 0) {
				return nil, fmt.Errorf("popi: report %s: summary %d (%s, %s) has an invalid statistic", path, i, s.Method, s.Dataset)
			}
		}
	}
	return &r, nil
}

// deltaTo is " (+d.dd)": the change of a cell's mean win rate from the baseline's same
// cell, or "" without a baseline or a baseline cell.
func (r *Report) deltaTo(method, dataset string, mean float64) string {
	if r.Baseline == nil {
		return ""
	}
	b := r.Baseline.Summary(method, dataset)
	if b == nil || b.WinRate.N == 0 {
		return " (n/a)"
	}
	return fmt.Sprintf(" (%+.2f)", mean-b.WinRate.Mean)
}

// baselineAvg is the baseline's average win rate over datasets, and whether every
// dataset has a cell there.
func (r *Report) baselineAvg(method string) (float64, bool) {
	sum := 0.0
	for _, d := range r.Datasets {
		b := r.Baseline.Summary(method, d)
		if b == nil || b.WinRate.N == 0 {
			return 0, false
		}
		sum += b.WinRate.Mean
	}
	return sum / float64(len(r.Datasets)), len(r.Datasets) > 0
}
