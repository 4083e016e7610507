package popi

import (
	"fmt"
	"strings"
)

// ReportLayout selects a report's Markdown table.
type ReportLayout string

const (
	// LayoutTable1 has Avg. Len., Acc. and Win Rate per dataset (Tables 1, 5, 6, 8).
	LayoutTable1 ReportLayout = ""
	// LayoutWinRate has one win-rate column per dataset (generator) and their average
	// (Tables 2-4 and 9).
	LayoutWinRate ReportLayout = "win_rate"
)

// PersonaMetrics are one method's metrics on the held-out episodes of one persona.
type PersonaMetrics struct {
	Persona string    `json:"persona"`
	Pairs   int       `json:"pairs"`
	Acc     *float64  `json:"acc,omitempty"`
	WinRate *float64  `json:"win_rate,omitempty"`
	Judge   *WinTally `json:"judge,omitempty"`
}

// winRateMarkdown renders the Tables 2-4 layout: rows are methods, columns the datasets'
// (generators') win rates in percent, and Avg. their mean ("–" when a column is missing).
func (r *Report) winRateMarkdown() string {
	var b strings.Builder
	if r.Title != "" {
		b.WriteString("### " + r.Title + "\n\n")
	}
	b.WriteString("| Method |")
	sep := "| --- |"
	for _, d := range r.Datasets {
		b.WriteString(" " + d + " |")
		sep += " ---: |"
	}
	b.WriteString(" Avg. |\n" + sep + " ---: |\n")
	invalid := 0
	for _, m := range r.Methods {
		b.WriteString("| " + m + " |")
		sum, n := 0.0, 0
		for _, d := range r.Datasets {
			s := r.Summary(m, d)
			if s == nil || s.WinRate.N == 0 {
				b.WriteString(" – |")
				continue
			}
			invalid += s.Judge.Invalid
			sum += s.WinRate.Mean
			n++
			fmt.Fprintf(&b, " %s |", formatStat(s.WinRate))
		}
		if n == len(r.Datasets) && n > 0 {
			fmt.Fprintf(&b, " %.2f |\n", sum/float64(n))
		} else {
			b.WriteString(" – |\n")
		}
	}
	fmt.Fprintf(&b, "\nWin rate (%%) of each method against the same generator's own Base-Model. Judge answers other than 'm'/'M' (excluded): %d.\n", invalid)
	return b.String()
}

// PersonaMarkdown renders the per-persona breakdown of the runs that have one: for every
// dataset, a row per method and persona with its accuracy and win rate ("" when no run
// has a breakdown).
func (r *Report) PersonaMarkdown() string {
	var b strings.Builder
	for _, run := range r.Runs {
		if len(run.ByPersona) == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\n### Per persona (held-out episodes grouped by ground-truth persona)\n\n")
			b.WriteString("| Dataset | Seed | Method | Persona | Pairs | Acc. (%) | Win Rate (%) |\n| --- | ---: | --- | --- | ---: | ---: | ---: |\n")
		}
		for _, p := range run.ByPersona {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %d | %s | %s |\n", run.Dataset, run.Seed, run.Method,
				strings.ReplaceAll(p.Persona, "|", "/"), p.Pairs, pct(p.Acc), pct(p.WinRate))
		}
	}
	return b.String()
}

func pct(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", 100**p)
}
