package popi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testRuns() []RunMetrics {
	return []RunMetrics{
		{Method: "Base-Model", Dataset: "ELIX", Seed: 1, Acc: F(0.5), WinRate: F(0.5), Judge: &WinTally{Ties: 4}, Pairs: 4},
		{Method: "Base-Model", Dataset: "ELIX", Seed: 2, Acc: F(0.5), WinRate: F(0.5), Judge: &WinTally{Ties: 4}, Pairs: 4},
		{Method: "POPI-Inference-Only", Dataset: "ELIX", Seed: 1, AvgLen: F(50), Acc: F(0.70), WinRate: F(0.60), Judge: &WinTally{Wins: 2, Ties: 1, Losses: 1, Invalid: 1}},
		{Method: "POPI-Inference-Only", Dataset: "ELIX", Seed: 2, AvgLen: F(54), Acc: F(0.74), WinRate: F(0.66), Judge: &WinTally{Wins: 3, Losses: 1, Invalid: 2}},
		{Method: "POPI-Inference-Only", Dataset: "Review", Seed: 1, AvgLen: F(320.8), Acc: F(0.9181)},
	}
}

func TestBuildReportMarkdownGolden(t *testing.T) {
	r, err := BuildReport("Held-out users", testRuns())
	if err != nil {
		t.Fatal(err)
	}
	want := "### Held-out users\n\n" +
		"| Method | ELIX Avg. Len. ↓ | ELIX Acc. (%) | ELIX Win Rate (%) | Review Avg. Len. ↓ | Review Acc. (%) | Review Win Rate (%) |\n" +
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n" +
		"| Base-Model | – | 50.00 ± 0.00 | 50.00 ± 0.00 | – | – | – |\n" +
		"| POPI-Inference-Only | 52.00 ± 2.83 | 72.00 ± 2.83 | 63.00 ± 4.24 | 320.80 | 91.81 | – |\n" +
		"\nValues are mean ± sample standard deviation over seeds (up to 2 per cell). Judge answers other than 'm'/'M' (excluded from win rates): 3.\n"
	if got := r.Markdown(); got != want {
		t.Fatalf("markdown:\n%s\nwant:\n%s", got, want)
	}
	s := r.Summary("POPI-Inference-Only", "ELIX")
	if s.Judge != (WinTally{Wins: 5, Losses: 2, Ties: 1, Invalid: 3}) || len(s.Seeds) != 2 {
		t.Fatalf("summary %+v", s)
	}
}

func TestReportJSONAndWrite(t *testing.T) {
	r, err := BuildReport("t", testRuns())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	md, js := filepath.Join(dir, "table.md"), filepath.Join(dir, "table.json")
	if err := r.Write(md, js); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Summaries) != 3 || back.Summaries[1].Acc.Mean != 72 || back.Runs[0].AvgLen != nil || *back.Runs[2].AvgLen != 50 {
		t.Fatalf("round trip %+v", back.Summaries)
	}
	if m, _ := os.ReadFile(md); string(m) != r.Markdown() {
		t.Fatal("markdown file differs")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestBuildReportErrors(t *testing.T) {
	runs := testRuns()
	if _, err := BuildReport("t", append(runs, runs[0])); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate: %v", err)
	}
	bad := append([]RunMetrics{}, runs...)
	bad[3].AvgLen = nil
	if _, err := BuildReport("t", bad); err == nil || !strings.Contains(err.Error(), "avg_len for 1 of 2 seeds") {
		t.Fatalf("partial metric: %v", err)
	}
	if _, err := BuildReport("t", nil); err == nil {
		t.Fatal("no runs accepted")
	}
	if _, err := BuildReport("t", []RunMetrics{{Method: "x"}}); err == nil {
		t.Fatal("missing dataset accepted")
	}
}
