package popi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/popi-go/popi/internal/atomicfile"
)

// BetaGrid is the paper's selection of β (section 5.1, "We select β via grid search over
// 0.1, 0.05, 0.01"; Appendix A, Table 7): one full run per β, the Table 7 rows, and the
// selected β.
type BetaGrid struct {
	Betas []float64 `json:"betas"`
	// Runs[i] is the report of the run with Betas[i], in <out>/beta-<β>.
	Runs []*Report `json:"runs"`
	// Selected is the β whose POPI-Inference-Only has the highest held-out reward accuracy,
	// ties broken by win rate: our criterion, as the paper does not state one (it reports
	// that 0.01 is best on ELIX in both).
	Selected  float64 `json:"selected"`
	Criterion string  `json:"criterion"`
}

// ParseBetas parses a comma-separated β list such as "0.1,0.05,0.01".
func ParseBetas(s string) ([]float64, error) {
	var out []float64
	seen := map[float64]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		b, err := strconv.ParseFloat(part, 64)
		if err != nil || !(b > 0) || b > 1e6 {
			return nil, fmt.Errorf("popi: bad β %q (want positive numbers, e.g. 0.1,0.05,0.01)", part)
		}
		if seen[b] {
			return nil, fmt.Errorf("popi: β %g given twice", b)
		}
		seen[b] = true
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, errors.New("popi: no β given")
	}
	return out, nil
}

// RunBetaGrid runs the pipeline once per β in out/beta-<β> (with Stage1.Alpha < 0 the KL
// weight follows β as in the paper; a fixed α is kept for every β), then writes
// out/beta_grid.md (Table 7) and out/beta_grid.json. With resume, runs that have a
// config.json are continued and the others started.
func RunBetaGrid(ctx context.Context, cfg PipelineConfig, betas []float64, out string, resume bool, log io.Writer) (*BetaGrid, error) {
	if len(betas) < 2 {
		return nil, errors.New("popi: a β grid needs at least two values")
	}
	// Check every configuration before the first run starts.
	for _, b := range betas {
		c := cfg
		c.Beta = b
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("popi: β %g: %w", b, err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	g := &BetaGrid{Betas: betas, Criterion: "highest POPI-Inference-Only held-out accuracy, ties by win rate (our criterion; the paper states none)"}
	for _, b := range betas {
		c := cfg
		c.Beta = b
		dir := filepath.Join(out, "beta-"+strconv.FormatFloat(b, 'g', -1, 64))
		again := resume && exists(filepath.Join(dir, "config.json"))
		if log != nil {
			fmt.Fprintf(log, "[beta-grid] β=%g in %s\n", b, dir)
		}
		res, err := RunPipeline(ctx, c, dir, again, log)
		if err != nil {
			return nil, fmt.Errorf("popi: β %g: %w", b, err)
		}
		g.Runs = append(g.Runs, res.Report)
	}
	g.Selected = g.selectBeta()
	md := g.Markdown()
	if err := atomicfile.WriteFile(filepath.Join(out, "beta_grid.md"), []byte(md), fileMode); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	return g, atomicfile.WriteFile(filepath.Join(out, "beta_grid.json"), append(js, '\n'), fileMode)
}

// summaryOf is method m's summary in a run's report (its only dataset).
func summaryOf(r *Report, m Method) *Summary {
	if r == nil || len(r.Datasets) == 0 {
		return nil
	}
	return r.Summary(m.String(), r.Datasets[0])
}

func (g *BetaGrid) selectBeta() float64 {
	best, bestAcc, bestWin := g.Betas[0], -1.0, -1.0
	for i, b := range g.Betas {
		s := summaryOf(g.Runs[i], MethodPOPIInferenceOnly)
		if s == nil {
			continue
		}
		acc, win := s.Acc.Mean, -1.0
		if s.WinRate.N > 0 {
			win = s.WinRate.Mean
		}
		if acc > bestAcc || (acc == bestAcc && win > bestWin) {
			best, bestAcc, bestWin = b, acc, win
		}
	}
	return best
}

// Markdown renders Table 7: the Base-Model, then POPI-Inference-Only and POPI-Full for
// every β (Avg. Len., Acc., Win Rate), and the selected β.
func (g *BetaGrid) Markdown() string {
	var b strings.Builder
	b.WriteString("### Effect of β (Table 7 layout)\n\n| Method | β | Avg. Len. ↓ | Acc. (%) | Win Rate (%) |\n| --- | ---: | ---: | ---: | ---: |\n")
	if s := summaryOf(firstReport(g.Runs), MethodBase); s != nil {
		fmt.Fprintf(&b, "| Base-Model | – | %s | %s | %s |\n", formatStat(s.AvgLen), formatStat(s.Acc), formatStat(s.WinRate))
	}
	for _, m := range []Method{MethodPOPIInferenceOnly, MethodPOPIFull} {
		for i, beta := range g.Betas {
			s := summaryOf(g.Runs[i], m)
			if s == nil {
				continue
			}
			name := m.String()
			if i > 0 {
				name = ""
			}
			fmt.Fprintf(&b, "| %s | %g | %s | %s | %s |\n", name, beta, formatStat(s.AvgLen), formatStat(s.Acc), formatStat(s.WinRate))
		}
	}
	fmt.Fprintf(&b, "\nSelected β = %g (%s).\n", g.Selected, g.Criterion)
	return b.String()
}

func firstReport(rs []*Report) *Report {
	if len(rs) == 0 {
		return nil
	}
	return rs[0]
}
