package popi

import (
	"errors"
	"fmt"
	"math"

	"github.com/popi-go/popi/popi/prompt"
)

// PairMargin holds, for one held-out target pair, the log-probability margin
// log pi(y_c|.) - log pi(y_r|.) of a method and of the Base-Model on the same pair.
type PairMargin struct {
	Method float64 `json:"method"`
	Base   float64 `json:"base"`
}

// RewardAccuracy is the fraction of pairs on which the method's margin exceeds the
// Base-Model's; an exactly equal margin counts half, so the Base-Model scores 0.5 against
// itself. Non-finite margins are an error naming the pair.
func RewardAccuracy(ms []PairMargin) (float64, error) {
	if len(ms) == 0 {
		return 0, errors.New("popi: RewardAccuracy: no pairs")
	}
	score := 0.0
	for i, m := range ms {
		if math.IsNaN(m.Method) || math.IsInf(m.Method, 0) || math.IsNaN(m.Base) || math.IsInf(m.Base, 0) {
			return 0, fmt.Errorf("popi: RewardAccuracy: pair %d has a non-finite margin (method %v, base %v)", i, m.Method, m.Base)
		}
		switch {
		case m.Method > m.Base:
			score++
		case m.Method == m.Base:
			score += 0.5
		}
	}
	return score / float64(len(ms)), nil
}

// TokenCounter counts the tokens of a text with the generator's tokenizer.
type TokenCounter interface {
	CountTokens(text string) int
}

// ContextOverhead is the number of tokens user-specific conditioning adds to a prompt:
// the tokens of the conditioned messages minus those of the Base-Model's messages for
// the same user prompt. A negative difference means the two do not belong together and
// is an error.
func ContextOverhead(tc TokenCounter, base, conditioned prompt.Messages) (int, error) {
	b := tc.CountTokens(base.System) + tc.CountTokens(base.User)
	c := tc.CountTokens(conditioned.System) + tc.CountTokens(conditioned.User)
	if c < b {
		return 0, fmt.Errorf("popi: ContextOverhead: conditioned prompt (%d tokens) is shorter than the base prompt (%d)", c, b)
	}
	return c - b, nil
}

// MeanInt is the mean of integer values (e.g. per-prompt context overheads).
func MeanInt(xs []int) (float64, error) {
	if len(xs) == 0 {
		return 0, errors.New("popi: mean of no values")
	}
	s := 0.0
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs)), nil
}

// WinTally counts judged comparisons of a method (candidate A) against the Base-Model (B).
type WinTally struct {
	Wins    int `json:"wins"`
	Losses  int `json:"losses"`
	Ties    int `json:"ties"`
	Invalid int `json:"invalid"` // verdicts with a judge answer other than 'm'/'M'; excluded from the rate
}

// TallyVerdicts counts verdicts where A is the method and B the Base-Model.
func TallyVerdicts(vs []Verdict) WinTally {
	var t WinTally
	for _, v := range vs {
		switch v.Outcome {
		case OutcomeA:
			t.Wins++
		case OutcomeB:
			t.Losses++
		case OutcomeTie:
			t.Ties++
		default:
			t.Invalid++
		}
	}
	return t
}

// Valid is the number of comparisons with a usable verdict.
func (t WinTally) Valid() int { return t.Wins + t.Losses + t.Ties }

// Rate is (wins + ties/2) / valid comparisons; an error when there is none.
func (t WinTally) Rate() (float64, error) {
	if t.Valid() == 0 {
		return 0, fmt.Errorf("popi: win rate: no valid verdicts (%d invalid)", t.Invalid)
	}
	return (float64(t.Wins) + 0.5*float64(t.Ties)) / float64(t.Valid()), nil
}

// Stat is a mean and sample standard deviation over seeds; N == 0 means not measured.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	N    int     `json:"n"`
}

// NewStat computes the mean and the sample standard deviation (0 for one value).
func NewStat(xs []float64) (Stat, error) {
	if len(xs) == 0 {
		return Stat{}, nil
	}
	s := Stat{N: len(xs)}
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Stat{}, fmt.Errorf("popi: non-finite value %v in a statistic", x)
		}
		s.Mean += x
	}
	s.Mean /= float64(len(xs))
	if len(xs) > 1 {
		v := 0.0
		for _, x := range xs {
			v += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(v / float64(len(xs)-1))
	}
	return s, nil
}
