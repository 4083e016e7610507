package popi

import (
	"context"
	"fmt"
)

// judgeResponses has the judge compare a method's responses resp with the Base-Model's
// baseResp on the judged items and fills rm's win rate and tally, the per-persona verdicts
// and det's first three examples (summary gives an example's summary, "" for none).
func (e *Evaluation) judgeResponses(ctx context.Context, method Method, judged []evalItem, resp, baseResp []string,
	byPersona *personaBreakdown, rm *RunMetrics, det *MethodDetail, summary func(it evalItem) string) error {
	items := make([]Comparison, len(judged))
	for k, it := range judged {
		ep := &e.Episodes[it.ep]
		items[k] = Comparison{Instruction: ep.Targets[it.t].Prompt, Description: ep.Persona, A: resp[k], B: baseResp[k]}
	}
	vs, err := CompareAll(ctx, e.Judge, items, max(e.Config.JudgeWorkers, 1))
	if err != nil {
		return fmt.Errorf("popi: %v judging: %w", method, err)
	}
	for k, it := range judged {
		byPersona.addVerdict(e.Episodes[it.ep].Persona, vs[k])
	}
	tally := TallyVerdicts(vs)
	rm.Judge = &tally
	if wr, err := tally.Rate(); err == nil {
		rm.WinRate = F(wr)
	}
	for k := 0; k < min(3, len(judged)); k++ {
		it := judged[k]
		det.Examples = append(det.Examples, ResponseExample{User: e.Episodes[it.ep].UserID, Persona: e.Episodes[it.ep].Persona,
			Prompt: items[k].Instruction, Summary: summary(it), Response: resp[k], Base: baseResp[k], Outcome: vs[k].Outcome.String()})
	}
	return nil
}
