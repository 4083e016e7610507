package popi

import (
	"context"
	"fmt"

	"github.com/popi-go/popi/popi/world"
)

// ExactJudge is the built-in judge of the persona world: the description must be a
// world persona sentence (world.Persona.Sentence), and candidates are compared by
// world.Prefer, which recovers their attributes from style markers. It never returns
// OutcomeInvalid; equal fits are a tie.
type ExactJudge struct{}

// Compare implements Judge.
func (ExactJudge) Compare(_ context.Context, _, description, a, b string) (Verdict, error) {
	p, err := world.ParseSentence(description)
	if err != nil {
		return Verdict{}, fmt.Errorf("popi: exact judge needs a persona-world description: %w", err)
	}
	switch world.Prefer(p, a, b) {
	case 1:
		return Verdict{Outcome: OutcomeA}, nil
	case -1:
		return Verdict{Outcome: OutcomeB}, nil
	}
	return Verdict{Outcome: OutcomeTie}, nil
}

// WorldSummaryScore scores a preference summary against a persona-world ground-truth
// persona sentence: which attributes it states correctly, wrongly, or not at all.
func WorldSummaryScore(personaSentence, summary string) (world.SummaryScore, error) {
	p, err := world.ParseSentence(personaSentence)
	if err != nil {
		return world.SummaryScore{}, fmt.Errorf("popi: %w", err)
	}
	return world.ScoreSummary(p, summary), nil
}
