package popi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
)

// toyPhase is a training phase over the fixture model whose step sets deterministic
// gradients (a function of the batch and the step's learning rate only) and takes one
// AdamW step, so an interrupted and resumed run must end with exactly the weights of an
// uninterrupted one. lr gives each step's learning rate.
func toyPhase(t *testing.T, run *Run, resume bool, lr func(int) float64) (*phase[int], *llama.Model) {
	t.Helper()
	f := getFixture(t)
	m := f.model(t, 5)
	params := m.Trainable().Params()
	opt := nn.NewAdamW(nn.AdamWConfig{}, nn.SplitDecay(params, 0.01)...)
	ph := &phase[int]{
		Name: "toy", Run: run, Model: m, Tok: f.Tok, Opt: opt,
		Data: []int{0, 1, 2, 3, 4, 5, 6, 7}, BatchSize: 1, Steps: 6, Seed: 3, LR: lr, Every: 1, Resume: resume,
		Step: func(_ context.Context, batch []int, lr float64) (map[string]float64, error) {
			for pi, p := range params {
				g := p.Grad
				if g == nil {
					g = make([]float32, len(p.Data))
					p.Grad = g
				}
				for j := range g {
					g[j] = float32(math.Sin(float64(batch[0]*131+pi*17+j%97))) * 0.01
				}
			}
			if err := opt.Step(lr); err != nil {
				return nil, err
			}
			return map[string]float64{"loss": float64(batch[0])}, nil
		},
		HeadName: "loss",
		Headline: func(m map[string]float64) (float64, float64) { return m["loss"], 0 },
	}
	return ph, m
}

func constLR(int) float64 { return 1e-3 }

// metricSteps returns the steps of the rows of phase in the run's metrics.jsonl.
func metricSteps(t *testing.T, dir, phase string) []int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			Phase string `json:"phase"`
			Step  int    `json:"step"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		if r.Phase == phase {
			steps = append(steps, r.Step)
		}
	}
	slices.Sort(steps)
	return steps
}

func openToyRun(t *testing.T, dir string, resume bool) *Run {
	t.Helper()
	r, err := OpenRun(dir, resume, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !resume {
		os.WriteFile(r.Path("config.json"), []byte("{}"), 0o644)
	}
	return r
}

// Non-finite weights stop training with an error naming the parameter and the step, and
// nothing is written: the last good checkpoint stays the one a resume loads (item 1;
// the run of `train -lr 1e300`).
func TestNonFiniteStopsBeforeCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	poison := func(s int) float64 {
		if s == 3 {
			return 1e300
		}
		return 1e-3
	}
	run := openToyRun(t, dir, false)
	ph, _ := toyPhase(t, run, false, poison)
	_, err := ph.run(context.Background())
	run.Close()
	if err == nil || !strings.Contains(err.Error(), "step 3") || !strings.Contains(err.Error(), "non-finite") || !strings.Contains(err.Error(), "model.") {
		t.Fatalf("error %v, want a non-finite weight named with its parameter at step 3", err)
	}
	ckpt, ok := CheckpointDir(filepath.Join(dir, "ckpt", "toy"))
	if !ok {
		t.Fatal("no checkpoint left")
	}
	var st TrainState
	if err := ReadJSON(filepath.Join(ckpt, "state.json"), &st); err != nil || st.Step != 3 {
		t.Fatalf("checkpoint state %+v, %v; want step 3", st, err)
	}
	// -resume loads that checkpoint (no "contains NaN" refusal) and, with the same
	// schedule, stops at the same step with the same error.
	run = openToyRun(t, dir, true)
	ph, _ = toyPhase(t, run, true, poison)
	_, err = ph.run(context.Background())
	run.Close()
	if err == nil || !strings.Contains(err.Error(), "step 3") || !strings.Contains(err.Error(), "non-finite") {
		t.Fatalf("resume: %v", err)
	}
	// A finite schedule resumes from it to the end.
	run = openToyRun(t, dir, true)
	ph, _ = toyPhase(t, run, true, constLR)
	if st, err := ph.run(context.Background()); err != nil || !st.Done {
		t.Fatalf("resume with a finite schedule: %v %+v", err, st)
	}
	run.Close()
	if got := metricSteps(t, dir, "toy"); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("metrics rows for steps %v", got)
	}
}

// After a crash past the last checkpoint, -resume runs the lost steps again without
// logging them twice, and rows without a step (computed again on resume) are replaced,
// not duplicated (issue 16, item 7).
func TestResumeMetricsOneRowPerKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	run := openToyRun(t, dir, false)
	if err := run.Metric(map[string]any{"phase": "oracle", "loss": 1.0}); err != nil {
		t.Fatal(err)
	}
	ph, _ := toyPhase(t, run, false, constLR)
	ph.Every = 2
	crash := errors.New("crash after step 2")
	inner := ph.Step
	n := 0
	ph.Step = func(ctx context.Context, b []int, lr float64) (map[string]float64, error) {
		if n++; n == 4 {
			return nil, crash
		}
		return inner(ctx, b, lr)
	}
	if _, err := ph.run(context.Background()); !errors.Is(err, crash) {
		t.Fatalf("first run: %v", err)
	}
	run.Close()
	if got := metricSteps(t, dir, "toy"); !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("rows before the resume: %v", got)
	}
	run = openToyRun(t, dir, true)
	if err := run.Metric(map[string]any{"phase": "oracle", "loss": 1.0}); err != nil {
		t.Fatal(err)
	}
	ph, _ = toyPhase(t, run, true, constLR)
	ph.Every = 2
	if st, err := ph.run(context.Background()); err != nil || !st.Done {
		t.Fatalf("resume: %v %+v", err, st)
	}
	run.Close()
	if got := metricSteps(t, dir, "toy"); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("rows after the resume: %v", got)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if c := strings.Count(string(b), `"phase":"oracle"`); c != 1 {
		t.Fatalf("%d oracle rows", c)
	}
}
