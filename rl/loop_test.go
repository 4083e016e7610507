package rl

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

// recordLoop runs a loop over 0..n-1 and returns the batches and learning rates seen.
func recordLoop(t *testing.T, l Loop[int]) ([][]int, []float64, int, error) {
	t.Helper()
	var batches [][]int
	var lrs []float64
	l.Step = func(_ context.Context, b []int, lr float64) (map[string]float64, error) {
		batches = append(batches, slices.Clone(b))
		lrs = append(lrs, lr)
		return map[string]float64{"n": float64(len(b))}, nil
	}
	n, err := l.Run(context.Background())
	return batches, lrs, n, err
}

func seqInts(n int) []int {
	x := make([]int, n)
	for i := range x {
		x[i] = i
	}
	return x
}

func TestLoopEpochsAndShuffle(t *testing.T) {
	l := Loop[int]{Data: seqInts(10), BatchSize: 4, Epochs: 3, Seed: 42, LR: func(s int) float64 { return float64(s) / 10 }}
	batches, lrs, n, err := recordLoop(t, l)
	if err != nil || n != 9 || len(batches) != 9 {
		t.Fatalf("%d steps, %v", n, err)
	}
	var epochs [3][]int
	for i, b := range batches {
		if want := []int{4, 4, 2}[i%3]; len(b) != want {
			t.Errorf("batch %d has %d examples, want %d", i, len(b), want)
		}
		epochs[i/3] = append(epochs[i/3], b...)
		if lrs[i] != float64(i)/10 {
			t.Errorf("step %d lr %v", i, lrs[i])
		}
	}
	for e, got := range epochs {
		if s := slices.Sorted(slices.Values(got)); !slices.Equal(s, seqInts(10)) {
			t.Errorf("epoch %d is not a permutation: %v", e, got)
		}
	}
	if slices.Equal(epochs[0], epochs[1]) || slices.Equal(epochs[0], seqInts(10)) {
		t.Errorf("epochs not reshuffled: %v", epochs)
	}
	again, _, _, _ := recordLoop(t, l)
	l.Seed = 43
	other, _, _, _ := recordLoop(t, l)
	if !slices.EqualFunc(batches, again, slices.Equal) {
		t.Error("same seed gave different batches")
	}
	if slices.EqualFunc(batches, other, slices.Equal) {
		t.Error("different seeds gave identical batches")
	}
}

func TestLoopLimitsAndResume(t *testing.T) {
	base := Loop[int]{Data: seqInts(10), BatchSize: 3, DropLast: true, Seed: 1, LR: ConstantLR(1e-3), MaxSteps: 7}
	full, _, n, err := recordLoop(t, base)
	if err != nil || n != 7 {
		t.Fatalf("%d steps, %v", n, err)
	}
	for _, b := range full {
		if len(b) != 3 {
			t.Errorf("DropLast kept a short batch %v", b)
		}
	}
	resumed := base
	resumed.StartStep = 4
	tail, _, n, err := recordLoop(t, resumed)
	if err != nil || n != 7 || !slices.EqualFunc(tail, full[4:], slices.Equal) {
		t.Errorf("resume: %d steps, %v, %v vs %v", n, err, tail, full[4:])
	}
	stop := base
	stop.MaxSteps = 0
	stop.Epochs = 100
	calls := 0
	stop.OnStep = func(s StepInfo) error {
		calls++
		if s.Metrics["n"] != 3 || s.LR != 1e-3 || s.Batch != 3 || s.Step != calls-1 || s.Epoch != (calls-1)/3 {
			t.Errorf("step info %+v", s)
		}
		if s.Step == 4 {
			return ErrStop
		}
		return nil
	}
	if _, _, n, err := recordLoop(t, stop); err != nil || n != 5 || calls != 5 {
		t.Errorf("ErrStop: %d steps, %v", n, err)
	}
	boom := errors.New("boom")
	stop.OnStep = func(StepInfo) error { return boom }
	if _, _, n, err := recordLoop(t, stop); !errors.Is(err, boom) || n != 1 {
		t.Errorf("callback error: %d, %v", n, err)
	}
}

func TestLoopErrors(t *testing.T) {
	ok := func() Loop[int] {
		return Loop[int]{Data: seqInts(4), BatchSize: 2, Epochs: 1, LR: ConstantLR(1),
			Step: func(context.Context, []int, float64) (map[string]float64, error) { return nil, nil }}
	}
	cases := map[string]func(*Loop[int]){
		"no step":   func(l *Loop[int]) { l.Step = nil },
		"no lr":     func(l *Loop[int]) { l.LR = nil },
		"batch 0":   func(l *Loop[int]) { l.BatchSize = 0 },
		"no data":   func(l *Loop[int]) { l.Data = nil },
		"no limit":  func(l *Loop[int]) { l.Epochs = 0 },
		"neg steps": func(l *Loop[int]) { l.MaxSteps = -1 },
		"drop all":  func(l *Loop[int]) { l.BatchSize = 5; l.DropLast = true },
		"nan lr":    func(l *Loop[int]) { l.LR = ConstantLR(math.NaN()) },
		"neg lr":    func(l *Loop[int]) { l.LR = ConstantLR(-1) },
		"step errors": func(l *Loop[int]) {
			l.Step = func(context.Context, []int, float64) (map[string]float64, error) { return nil, errors.New("x") }
		},
	}
	for name, mut := range cases {
		l := ok()
		mut(&l)
		if _, err := l.Run(context.Background()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	l := ok()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := l.Run(ctx); !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("cancelled: %d %v", n, err)
	}
}

func TestWarmupCosine(t *testing.T) {
	f := WarmupCosine(1, 4, 12)
	want := map[int]float64{0: 0.25, 3: 1, 4: 1, 8: 0.5, 12: 0, 20: 0}
	for s, w := range want {
		if math.Abs(f(s)-w) > 1e-15 {
			t.Errorf("step %d: %v want %v", s, f(s), w)
		}
	}
	for s := 4; s < 12; s++ {
		if f(s+1) > f(s) {
			t.Errorf("not decaying at %d", s)
		}
	}
	if g := WarmupCosine(2, 0, 10); g(0) != 2 {
		t.Errorf("no warmup: %v", g(0))
	}
}
