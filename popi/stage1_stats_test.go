package popi

import (
	"math"
	"testing"

	"github.com/popi-go/popi/popi/world"
	"github.com/popi-go/popi/rl"
)

func TestStdDevAndCorrelation(t *testing.T) {
	if got := stdDev([]float64{1, 3}); math.Abs(got-1) > 1e-12 {
		t.Fatalf("stdDev = %v, want 1", got)
	}
	if got := stdDev(nil); got != 0 {
		t.Fatalf("stdDev(nil) = %v", got)
	}
	r, ok := correlation([]float64{1, 2, 3}, []float64{2, 4, 6.5})
	if !ok || r < 0.99 || r > 1 {
		t.Fatalf("correlation of increasing series = %v, %v", r, ok)
	}
	r, ok = correlation([]float64{1, 2, 3}, []float64{3, 2, 1})
	if !ok || math.Abs(r+1) > 1e-12 {
		t.Fatalf("correlation of opposite series = %v, %v", r, ok)
	}
	if _, ok := correlation([]float64{1, 2}, []float64{5, 5}); ok {
		t.Fatal("correlation with a constant series reported")
	}
}

// The Stage-1 diagnostics score sampled summaries against the episode's persona.
func TestStage1Stats(t *testing.T) {
	p, err := world.ParseCode(world.AllPersonas()[0].Code())
	if err != nil {
		t.Fatal(err)
	}
	good := p.Summary()
	cs := []rl.Completion{{Text: good}, {Text: "nothing useful here"}}
	var s stage1Stats
	s.add(p.Sentence(), cs, []float64{-0.5, -0.7}, []float64{0.02, 0.04})
	m := map[string]float64{}
	s.metrics(m)
	if got := m["summary_acc"]; math.Abs(got-0.5) > 1e-12 {
		t.Fatalf("summary_acc = %v, want 0.5 (one perfect, one empty summary)", got)
	}
	if got := m["summary_parseable"]; got != 0.5 {
		t.Fatalf("summary_parseable = %v, want 0.5", got)
	}
	if got := m["reward_acc_corr"]; math.Abs(got-1) > 1e-9 {
		t.Fatalf("reward_acc_corr = %v, want 1", got)
	}
	if got := m["reward_group_std"]; math.Abs(got-0.1) > 1e-12 {
		t.Fatalf("reward_group_std = %v, want 0.1", got)
	}
	if got := m["reward_pair_noise"]; math.Abs(got-0.03) > 1e-12 {
		t.Fatalf("reward_pair_noise = %v, want 0.03", got)
	}
	if s != (stage1Stats{}) {
		t.Fatal("metrics did not reset the accumulator")
	}
	// Without a parseable persona (real datasets) only the persona-free figures appear.
	s.add("", cs, []float64{-0.5, -0.7}, []float64{0, 0})
	m = map[string]float64{}
	s.metrics(m)
	if _, ok := m["summary_acc"]; ok {
		t.Fatal("summary_acc reported without a persona")
	}
	if _, ok := m["summary_words"]; !ok {
		t.Fatal("summary_words missing")
	}
}
