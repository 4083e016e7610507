package popi

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/popi-go/popi/internal/atomicfile"
)

func TestRunMetricsAndProgress(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	r, err := OpenRun(dir, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Metric(map[string]any{"a": 1.5, "nan": math.NaN()}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	var rec map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(b), &rec); err != nil || rec["a"] != 1.5 || rec["nan"] != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if _, err := OpenRun(dir, true, nil); err == nil {
		t.Fatal("resumed a directory without config.json")
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
	if _, err := OpenRun(dir, false, nil); err == nil {
		t.Fatal("reused a run directory without resume")
	}
	p := NewProgress("x", 0, 10, "steps")
	if l := p.Line(3, "hi"); !strings.Contains(l, "[x] 3/10 steps") || !strings.Contains(l, "ETA") || !strings.HasSuffix(l, "hi\n") {
		t.Fatalf("%q", l)
	}
}

func TestPlotCurve(t *testing.T) {
	dir := t.TempDir()
	h := []StepRecord{{Step: 0, Mean: -0.7, Std: 0.1}, {Step: 1, Mean: -0.6, Std: 0.08}, {Step: 2, Mean: -0.5, Std: 0.05}}
	png, svg := filepath.Join(dir, "c.png"), filepath.Join(dir, "c.svg")
	if err := PlotCurve("t", "reward", h, png, svg); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(png)
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatal("not a PNG")
	}
	s, _ := os.ReadFile(svg)
	if !bytes.Contains(s, []byte("<svg")) {
		t.Fatal("not an SVG")
	}
	if PlotCurve("t", "y", nil, png) == nil || PlotCurve("t", "y", []StepRecord{{Step: 0, Mean: math.NaN()}}, png) == nil {
		t.Fatal("empty curves accepted")
	}
	if PlotCurve("t", "y", h, filepath.Join(dir, "c.bmpx")) == nil {
		t.Fatal("unknown format accepted")
	}
}

// FuzzReadTrainState: checkpoint state files either fail to parse with an error or round-trip.
func FuzzReadTrainState(f *testing.F) {
	good, _ := json.Marshal(TrainState{Phase: "stage1", Step: 3, Total: 9, RNG: []byte{1, 2}, History: []StepRecord{{Step: 0, Mean: 1, Std: 2, Acc: 0.5, Len: 9}},
		HeldOut: []HeldOutRecord{{Step: 0, Reward: -0.6, Rewards: []float64{-0.5, -0.7}, Acc: 0.4, HasAcc: true, Tokens: 30}}})
	for _, s := range [][]byte{good, []byte("{}"), []byte(`{"phase":1}`), []byte(`{"step":2} {}`), []byte(`{"extra":true}`), nil} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "state.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var st TrainState
		if err := ReadJSON(p, &st); err != nil {
			return
		}
		if err := atomicfile.WriteJSON(p, st, fileMode); err != nil {
			t.Fatal(err)
		}
		var again TrainState
		if err := ReadJSON(p, &again); err != nil || !reflect.DeepEqual(normalize(st), normalize(again)) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, st, again)
		}
	})
}

func normalize(s TrainState) TrainState {
	if len(s.RNG) == 0 {
		s.RNG = nil
	}
	if len(s.History) == 0 {
		s.History = nil
	}
	if len(s.HeldOut) == 0 {
		s.HeldOut = nil
	}
	return s
}
