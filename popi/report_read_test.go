package popi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// transferRuns is a two-generator transfer table (win rates only, as Transfer writes).
func transferRuns(popiWin float64) []RunMetrics {
	return []RunMetrics{
		{Method: "Base-Model", Dataset: "Llama-1b", Seed: 1, WinRate: F(0.5)},
		{Method: "Base-Model", Dataset: "GPT-4o-mini", Seed: 1, WinRate: F(0.5)},
		{Method: "POPI-Inference-Only", Dataset: "Llama-1b", Seed: 1, WinRate: F(popiWin)},
		{Method: "POPI-Inference-Only", Dataset: "GPT-4o-mini", Seed: 1, WinRate: F(0.80)},
		{Method: "Raw-Prompting", Dataset: "Llama-1b", Seed: 1, WinRate: F(0.40)},
		{Method: "Raw-Prompting", Dataset: "GPT-4o-mini", Seed: 1, WinRate: F(0.70)},
	}
}

func TestWinRateTableWithBaselineDeltas(t *testing.T) {
	orig, err := BuildReport("paper templates", transferRuns(0.6))
	if err != nil {
		t.Fatal(err)
	}
	orig.Layout = LayoutWinRate
	dir := t.TempDir()
	js := filepath.Join(dir, "transfer.json")
	if err := orig.Write("", js); err != nil {
		t.Fatal(err)
	}
	base, err := ReadReport(js)
	if err != nil {
		t.Fatal(err)
	}
	// The alternative templates lose 5.25 points on one generator; Raw-Prompting has no
	// row in the baseline.
	runs := transferRuns(0.5475)[:4]
	runs = append(runs, RunMetrics{Method: "Inference-Prompting", Dataset: "Llama-1b", Seed: 1, WinRate: F(0.3)},
		RunMetrics{Method: "Inference-Prompting", Dataset: "GPT-4o-mini", Seed: 1, WinRate: F(0.6)})
	alt, err := BuildReport("alternative templates", runs)
	if err != nil {
		t.Fatal(err)
	}
	alt.Layout, alt.Baseline = LayoutWinRate, base
	md := alt.Markdown()
	for _, want := range []string{
		"| Base-Model | 50.00 (+0.00) | 50.00 (+0.00) | 50.00 (+0.00) |",
		"| POPI-Inference-Only | 54.75 (-5.25) | 80.00 (+0.00) | 67.38 (-2.62) |",
		"| Inference-Prompting | 30.00 (n/a) | 60.00 (n/a) | 45.00 (n/a) |",
		`change relative to "paper templates"`,
	} {
		if !strings.Contains(md, want) {
			t.Fatalf("table lacks %q:\n%s", want, md)
		}
	}
	alt.Baseline = nil
	if md := alt.Markdown(); strings.Contains(md, "(+") || strings.Contains(md, "(-") || strings.Contains(md, "(n/a)") {
		t.Fatalf("deltas without a baseline:\n%s", alt.Markdown())
	}
}

func TestReadReportErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"truncated":  `{"title": "x", "summaries": [`,
		"empty":      `{"title": "x", "summaries": []}`,
		"no method":  `{"summaries": [{"dataset": "ELIX"}]}`,
		"not json":   `PAR1`,
		"bad stat n": `{"summaries": [{"method": "m", "dataset": "d", "win_rate_percent": {"mean": 1, "n": -1}}]}`,
	}
	for name, body := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadReport(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ReadReport(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
}
