package popi

import (
	"fmt"
	"strings"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/world"
)

// PipelineResult is what a run produced.
type PipelineResult struct {
	Report   *Report
	Details  []MethodDetail
	Examples []SummaryExample
	Transfer *Report
	Stage1   TrainState
	// SummaryAccBefore/After: mean fraction of persona attributes the held-out summaries
	// state correctly (persona world only).
	SummaryAccBefore, SummaryAccAfter float64
}

// SummaryExample shows one held-out user's summaries before and after Stage 1 (Figure 6).
type SummaryExample struct {
	User    string `json:"user"`
	Persona string `json:"persona"`
	Before  string `json:"before"`
	After   string `json:"after"`
	// Scores of the summaries against the true persona (persona world only).
	BeforeScore string `json:"before_score,omitempty"`
	AfterScore  string `json:"after_score,omitempty"`
}

// evaluate is the evaluation phase: every method of the plan with its generator on the
// held-out episodes, the results table and details, example summaries and (persona
// world) their quality. It returns the evaluation for generator transfer.
func (p *pipeline) evaluate(gens map[Method]*llama.Model, before, after *Summaries) (*PipelineResult, *Evaluation, error) {
	c := &p.plan.Config
	judge, err := p.judge()
	if err != nil {
		return nil, nil, err
	}
	ev := p.evaluation(before, after, judge, p.log)
	var mms []MethodModel
	for _, m := range p.plan.Methods {
		if g, ok := gens[m]; ok {
			mms = append(mms, MethodModel{Method: m, Gen: g, Latent: p.latent[m]})
		}
	}
	rms, details, err := ev.Run(p.ctx, mms)
	if err != nil {
		return nil, nil, err
	}
	rep, err := BuildReport(fmt.Sprintf("POPI on %s (%s, β=%g), seed %d", p.plan.Family, p.plan.Pref.Kind, p.plan.Pref.Beta, c.Seed), rms)
	if err != nil {
		return nil, nil, err
	}
	if err := rep.Write(p.run.Path("results.md"), p.run.Path("results.json")); err != nil {
		return nil, nil, err
	}
	if err := atomicfile.WriteJSON(p.run.Path("results_details.json"), details, fileMode); err != nil {
		return nil, nil, err
	}
	held := p.eps.Held
	res := &PipelineResult{Report: rep, Details: details}
	res.Examples = summaryExamples(held, before, after, p.eps.World)
	if p.eps.World {
		b, a, n := SummaryQuality(held, before, after)
		res.SummaryAccBefore, res.SummaryAccAfter = b, a
		p.run.Logf("summary quality (persona attributes stated correctly, %d held-out users): before %.1f%%, after %.1f%%\n", n, 100*b, 100*a)
		if err := p.run.Metric(map[string]any{"phase": "summaries", "summary_acc_before": b, "summary_acc_after": a, "users": n}); err != nil {
			return nil, nil, err
		}
	}
	if err := atomicfile.WriteJSON(p.run.Path("summaries_examples.json"), res.Examples, fileMode); err != nil {
		return nil, nil, err
	}
	if err := atomicfile.WriteFile(p.run.Path("summaries.md"), []byte(SummaryExamplesMarkdown(res.Examples)), fileMode); err != nil {
		return nil, nil, err
	}
	return res, ev, nil
}

func summaryExamples(eps []data.Episode, before, after *Summaries, worldRun bool) []SummaryExample {
	var out []SummaryExample
	for i := range eps {
		b, _ := before.Get(i, 0)
		a, _ := after.Get(i, 0)
		ex := SummaryExample{User: eps[i].UserID, Persona: eps[i].Persona, Before: b, After: a}
		if worldRun {
			if p, err := world.ParseSentence(eps[i].Persona); err == nil {
				ex.BeforeScore = world.ScoreSummary(p, b).String()
				ex.AfterScore = world.ScoreSummary(p, a).String()
			}
		}
		out = append(out, ex)
	}
	return out
}

// SummaryQuality is the mean fraction of persona attributes summaries state correctly
// (persona world only), before and after Stage 1.
func SummaryQuality(eps []data.Episode, before, after *Summaries) (b, a float64, n int) {
	for i := range eps {
		p, err := world.ParseSentence(eps[i].Persona)
		if err != nil {
			continue
		}
		zb, _ := before.Get(i, 0)
		za, _ := after.Get(i, 0)
		b += world.ScoreSummary(p, zb).Accuracy()
		a += world.ScoreSummary(p, za).Accuracy()
		n++
	}
	if n > 0 {
		b, a = b/float64(n), a/float64(n)
	}
	return b, a, n
}

// SummaryExamplesMarkdown renders example summaries before and after training (like the
// paper's Figure 6), up to eight users.
func SummaryExamplesMarkdown(exs []SummaryExample) string {
	var b strings.Builder
	b.WriteString("# Preference summaries of held-out users, before and after Stage 1\n\n")
	for i, e := range exs {
		if i == 8 {
			break
		}
		fmt.Fprintf(&b, "## %s\n\nGround truth (judge only): %s\n\n", e.User, e.Persona)
		fmt.Fprintf(&b, "- Before (πφ_ref)%s: %s\n", scoreSuffix(e.BeforeScore), quoteLine(e.Before))
		fmt.Fprintf(&b, "- After (πφ)%s: %s\n\n", scoreSuffix(e.AfterScore), quoteLine(e.After))
	}
	return b.String()
}

func scoreSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " [" + s + "]"
}

func quoteLine(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(empty)"
	}
	return "\"" + strings.ReplaceAll(s, "\n", " ⏎ ") + "\""
}
