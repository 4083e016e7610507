package popi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/popi-go/popi/internal/atomicfile"
)

// RunMetrics are the metrics of one method on one dataset for one seed. A nil metric was
// not measured (the Base-Model has no context overhead; AlignX has no win rate).
// Acc and WinRate are fractions in [0, 1]; AvgLen is in tokens.
type RunMetrics struct {
	Method  string    `json:"method"`
	Dataset string    `json:"dataset"`
	Seed    uint64    `json:"seed"`
	AvgLen  *float64  `json:"avg_len,omitempty"`
	Acc     *float64  `json:"acc,omitempty"`
	WinRate *float64  `json:"win_rate,omitempty"`
	Judge   *WinTally `json:"judge,omitempty"`
	Pairs   int       `json:"pairs"` // target pairs evaluated
	// SpecialTokens marks an AvgLen counting special positions mapped to a learned user
	// embedding rather than vocabulary tokens (the latent methods; "†" in the tables).
	SpecialTokens bool `json:"special_tokens,omitempty"`
	// ByPersona breaks Acc and WinRate down by ground-truth persona (the paper's Figure 6
	// shows every ELIX persona), in first-appearance order.
	ByPersona []PersonaMetrics `json:"by_persona,omitempty"`
}

// F is a helper for filling RunMetrics' optional fields.
func F(x float64) *float64 { return &x }

// Summary aggregates one method on one dataset over seeds. Acc and WinRate are in percent.
type Summary struct {
	Method  string   `json:"method"`
	Dataset string   `json:"dataset"`
	Seeds   []uint64 `json:"seeds"`
	AvgLen  Stat     `json:"avg_len"`
	Acc     Stat     `json:"acc_percent"`
	WinRate Stat     `json:"win_rate_percent"`
	Judge   WinTally `json:"judge"` // summed over seeds
	// SpecialTokens: AvgLen counts special positions (RunMetrics.SpecialTokens).
	SpecialTokens bool `json:"special_tokens,omitempty"`
}

// Report is a Table-1-shaped comparison of methods over datasets.
type Report struct {
	Title string `json:"title"`
	// Layout selects the Markdown table: the Table-1 layout (default) or one win-rate
	// column per dataset with their average (Tables 2-4, generator transfer).
	Layout    ReportLayout `json:"layout,omitempty"`
	Methods   []string     `json:"methods"`  // row order: first appearance in the runs
	Datasets  []string     `json:"datasets"` // column-group order: first appearance
	Summaries []Summary    `json:"summaries"`
	Runs      []RunMetrics `json:"runs"`
	// Baseline, if set, is an earlier table of the same layout: the win-rate layout then
	// shows each cell's change relative to it in parentheses, as the paper's Table 9
	// does for the alternative templates.
	Baseline *Report `json:"-"`
}

// BuildReport aggregates runs (mean and sample standard deviation over seeds). A repeated
// (method, dataset, seed) or a metric measured on some seeds but not others is an error.
func BuildReport(title string, runs []RunMetrics) (*Report, error) {
	if len(runs) == 0 {
		return nil, errors.New("popi: BuildReport: no runs")
	}
	r := &Report{Title: title, Runs: runs}
	type key struct{ m, d string }
	groups := map[key][]RunMetrics{}
	seen := map[string]bool{}
	var order []key
	for _, run := range runs {
		if run.Method == "" || run.Dataset == "" {
			return nil, errors.New("popi: BuildReport: run without method or dataset name")
		}
		id := fmt.Sprintf("%s\x00%s\x00%d", run.Method, run.Dataset, run.Seed)
		if seen[id] {
			return nil, fmt.Errorf("popi: BuildReport: %s on %s seed %d given twice", run.Method, run.Dataset, run.Seed)
		}
		seen[id] = true
		k := key{run.Method, run.Dataset}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], run)
		if indexOfString(r.Methods, run.Method) < 0 {
			r.Methods = append(r.Methods, run.Method)
		}
		if indexOfString(r.Datasets, run.Dataset) < 0 {
			r.Datasets = append(r.Datasets, run.Dataset)
		}
	}
	for _, k := range order {
		g := groups[k]
		s := Summary{Method: k.m, Dataset: k.d}
		var lens, accs, wins []float64
		for _, run := range g {
			s.Seeds = append(s.Seeds, run.Seed)
			if run.AvgLen != nil {
				lens = append(lens, *run.AvgLen)
			}
			s.SpecialTokens = s.SpecialTokens || run.SpecialTokens
			if run.Acc != nil {
				accs = append(accs, 100**run.Acc)
			}
			if run.WinRate != nil {
				wins = append(wins, 100**run.WinRate)
			}
			if run.Judge != nil {
				s.Judge.Wins += run.Judge.Wins
				s.Judge.Losses += run.Judge.Losses
				s.Judge.Ties += run.Judge.Ties
				s.Judge.Invalid += run.Judge.Invalid
			}
		}
		for _, m := range []struct {
			name string
			xs   []float64
			dst  *Stat
		}{{"avg_len", lens, &s.AvgLen}, {"acc", accs, &s.Acc}, {"win_rate", wins, &s.WinRate}} {
			if len(m.xs) != 0 && len(m.xs) != len(g) {
				return nil, fmt.Errorf("popi: BuildReport: %s on %s has %s for %d of %d seeds", k.m, k.d, m.name, len(m.xs), len(g))
			}
			st, err := NewStat(m.xs)
			if err != nil {
				return nil, fmt.Errorf("popi: BuildReport: %s on %s, %s: %w", k.m, k.d, m.name, err)
			}
			*m.dst = st
		}
		r.Summaries = append(r.Summaries, s)
	}
	return r, nil
}

func indexOfString(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// Summary returns the summary for a method and dataset, or nil.
func (r *Report) Summary(method, dataset string) *Summary {
	for i := range r.Summaries {
		if r.Summaries[i].Method == method && r.Summaries[i].Dataset == dataset {
			return &r.Summaries[i]
		}
	}
	return nil
}

func formatStat(s Stat) string {
	switch s.N {
	case 0:
		return "–"
	case 1:
		return fmt.Sprintf("%.2f", s.Mean)
	}
	return fmt.Sprintf("%.2f ± %.2f", s.Mean, s.Std)
}

// Markdown renders the report as a table shaped like the paper's Table 1: one row per
// method, three columns (Avg. Len. ↓, Acc. (%), Win Rate (%)) per dataset, values as
// mean ± sample standard deviation over seeds, "–" where not measured.
func (r *Report) Markdown() string {
	if r.Layout == LayoutWinRate {
		return r.winRateMarkdown()
	}
	var b strings.Builder
	if r.Title != "" {
		b.WriteString("### " + r.Title + "\n\n")
	}
	b.WriteString("| Method |")
	sep := "| --- |"
	for _, d := range r.Datasets {
		fmt.Fprintf(&b, " %s Avg. Len. ↓ | %s Acc. (%%) | %s Win Rate (%%) |", d, d, d)
		sep += " ---: | ---: | ---: |"
	}
	b.WriteString("\n" + sep + "\n")
	invalid := 0
	seeds := 0
	dagger := false
	for _, m := range r.Methods {
		b.WriteString("| " + m + " |")
		for _, d := range r.Datasets {
			s := r.Summary(m, d)
			if s == nil {
				b.WriteString(" – | – | – |")
				continue
			}
			invalid += s.Judge.Invalid
			seeds = max(seeds, len(s.Seeds))
			l := formatStat(s.AvgLen)
			if s.SpecialTokens && s.AvgLen.N > 0 {
				l += " †"
				dagger = true
			}
			fmt.Fprintf(&b, " %s | %s | %s |", l, formatStat(s.Acc), formatStat(s.WinRate))
		}
		b.WriteString("\n")
	}
	if dagger {
		b.WriteString("\n† counts special positions, each mapped to a learned user-specific latent embedding rather than a token of the tokenizer's vocabulary.\n")
	}
	fmt.Fprintf(&b, "\nValues are mean ± sample standard deviation over seeds (up to %d per cell). ", seeds)
	fmt.Fprintf(&b, "Judge answers other than 'm'/'M' (excluded from win rates): %d.\n", invalid)
	return b.String()
}

// JSON encodes the report (summaries and the per-seed runs).
func (r *Report) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("popi: report JSON: %w", err)
	}
	return append(data, '\n'), nil
}

// Write stores the Markdown (the table, then the per-persona breakdown when measured) and
// JSON forms atomically; an empty path skips that form.
func (r *Report) Write(markdownPath, jsonPath string) error {
	if markdownPath != "" {
		if err := atomicfile.WriteFile(markdownPath, []byte(r.Markdown()+r.PersonaMarkdown()), fileMode); err != nil {
			return err
		}
	}
	if jsonPath != "" {
		data, err := r.JSON()
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(jsonPath, data, fileMode); err != nil {
			return err
		}
	}
	return nil
}
