package popi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/popi-go/popi/internal/atomicfile"
)

// A crash at every step of the checkpoint protocol (simulated by a hook that stops
// atomicfile.Commit there, without cleanup), then -resume, ends with exactly the weights
// and history of an uninterrupted run, one metrics row per step, and one generation in
// the store (issue 16, item 5 and 7).
func TestCheckpointCrashAtEveryStep(t *testing.T) {
	refRun := openToyRun(t, filepath.Join(t.TempDir(), "ref"), false)
	ph, ref := toyPhase(t, refRun, false, constLR)
	refSt, err := ph.run(context.Background())
	refRun.Close()
	if err != nil || !refSt.Done {
		t.Fatalf("uninterrupted: %v %+v", err, refSt)
	}
	crash := errors.New("simulated crash")
	for _, step := range atomicfile.CommitSteps {
		for _, nth := range []int{1, 3} { // the first checkpoint (no previous one) and a later one
			dir := filepath.Join(t.TempDir(), step)
			run := openToyRun(t, dir, false)
			seen := 0
			atomicfile.CrashHook = func(s string) error {
				if s == step {
					if seen++; seen == nth {
						return crash
					}
				}
				return nil
			}
			ph, _ := toyPhase(t, run, false, constLR)
			_, err := ph.run(context.Background())
			atomicfile.CrashHook = nil
			run.Close()
			if !errors.Is(err, crash) {
				t.Fatalf("%s #%d: run ended with %v, want the simulated crash", step, nth, err)
			}
			run = openToyRun(t, dir, true)
			ph, m := toyPhase(t, run, true, constLR)
			st, err := ph.run(context.Background())
			run.Close()
			if err != nil || !st.Done {
				t.Fatalf("%s #%d: resume: %v %+v", step, nth, err, st)
			}
			if !slices.Equal(modelParams(m), modelParams(ref)) {
				t.Fatalf("%s #%d: resumed weights differ from the uninterrupted run", step, nth)
			}
			if !slices.Equal(st.History, refSt.History) {
				t.Fatalf("%s #%d: history %v, want %v", step, nth, st.History, refSt.History)
			}
			if got := metricSteps(t, dir, "toy"); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
				t.Fatalf("%s #%d: metrics rows for steps %v", step, nth, got)
			}
			ents, _ := os.ReadDir(filepath.Join(dir, "ckpt", "toy"))
			if len(ents) != 2 {
				t.Fatalf("%s #%d: checkpoint store holds %v, want CURRENT and one generation", step, nth, ents)
			}
		}
	}
}
