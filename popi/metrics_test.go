package popi

import (
	"math"
	"strings"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

func TestRewardAccuracy(t *testing.T) {
	ms := []PairMargin{{2, 1}, {0.5, 1}, {-1, -3}, {1, 1}}
	acc, err := RewardAccuracy(ms)
	if err != nil || acc != (1+0+1+0.5)/4 {
		t.Fatalf("acc %v %v", acc, err)
	}
	// The Base-Model against itself scores exactly 50%.
	self := []PairMargin{{0.3, 0.3}, {-2, -2}, {5, 5}}
	if acc, _ := RewardAccuracy(self); acc != 0.5 {
		t.Fatalf("base vs itself %v", acc)
	}
	if _, err := RewardAccuracy(nil); err == nil {
		t.Fatal("empty accepted")
	}
	if _, err := RewardAccuracy([]PairMargin{{1, 0}, {math.NaN(), 0}}); err == nil || !strings.Contains(err.Error(), "pair 1") {
		t.Fatalf("NaN: %v", err)
	}
	if _, err := RewardAccuracy([]PairMargin{{0, math.Inf(-1)}}); err == nil {
		t.Fatal("Inf accepted")
	}
}

type wordCounter struct{}

func (wordCounter) CountTokens(s string) int { return len(strings.Fields(s)) }

func TestContextOverhead(t *testing.T) {
	base, err := prompt.GeneratorMessages(prompt.TemplatesPaper, data.FamilyELIX, data.SignalsRaw, prompt.CondPrompt, "why is the sky blue", "", "")
	if err != nil {
		t.Fatal(err)
	}
	cond, err := prompt.GeneratorMessages(prompt.TemplatesPaper, data.FamilyELIX, data.SignalsRaw, prompt.CondSummary, "why is the sky blue", "", "short answers for kids")
	if err != nil {
		t.Fatal(err)
	}
	n, err := ContextOverhead(wordCounter{}, base, cond)
	// Added words: "# User Preference Summary" (4) + summary (4) + "# Instruction" (2) +
	// instruction sentence (15) + "# User Prompt" (3).
	if err != nil || n != 4+4+2+15+3 {
		t.Fatalf("overhead %d %v", n, err)
	}
	if _, err := ContextOverhead(wordCounter{}, cond, base); err == nil {
		t.Fatal("negative overhead accepted")
	}
	if m, err := MeanInt([]int{1, 2, 6}); err != nil || m != 3 {
		t.Fatalf("mean %v %v", m, err)
	}
	if _, err := MeanInt(nil); err == nil {
		t.Fatal("mean of nothing")
	}
}

func TestWinTally(t *testing.T) {
	vs := []Verdict{{Outcome: OutcomeA}, {Outcome: OutcomeA}, {Outcome: OutcomeB}, {Outcome: OutcomeTie}, {Outcome: OutcomeInvalid}}
	tl := TallyVerdicts(vs)
	if tl != (WinTally{Wins: 2, Losses: 1, Ties: 1, Invalid: 1}) || tl.Valid() != 4 {
		t.Fatalf("tally %+v", tl)
	}
	if r, err := tl.Rate(); err != nil || r != 2.5/4 {
		t.Fatalf("rate %v %v", r, err)
	}
	if _, err := (WinTally{Invalid: 3}).Rate(); err == nil || !strings.Contains(err.Error(), "3 invalid") {
		t.Fatalf("all invalid: %v", err)
	}
	// Base-Model against itself: every comparison a tie, 50%.
	if r, _ := (WinTally{Ties: 7}).Rate(); r != 0.5 {
		t.Fatalf("self rate %v", r)
	}
}

func TestStat(t *testing.T) {
	s, err := NewStat([]float64{1, 2, 3, 4})
	if err != nil || s.Mean != 2.5 || math.Abs(s.Std-math.Sqrt(5.0/3)) > 1e-12 || s.N != 4 {
		t.Fatalf("stat %+v %v", s, err)
	}
	if s, _ := NewStat([]float64{7}); s.Std != 0 || s.Mean != 7 {
		t.Fatalf("single %+v", s)
	}
	if _, err := NewStat([]float64{1, math.NaN()}); err == nil {
		t.Fatal("NaN accepted")
	}
}
