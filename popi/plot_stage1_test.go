package popi

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stage1Curves makes a noisy rising training curve and held-out evaluations every 10 steps.
func stage1Curves(steps int) ([]StepRecord, []HeldOutRecord) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h []StepRecord
	for i := 0; i < steps; i++ {
		f := float64(i) / float64(steps)
		h = append(h, StepRecord{Step: i, Mean: -0.65 + 0.25*f + 0.1*rng.NormFloat64(), Std: 0.3, Acc: 0.4 + 0.4*f, Len: 150 - 130*f})
	}
	var held []HeldOutRecord
	for s := 0; s <= steps; s += 10 {
		f := float64(s) / float64(steps)
		r := HeldOutRecord{Step: s, HasAcc: true, Acc: 0.6 + 0.3*f, Tokens: 140 - 125*f}
		for u := 0; u < 24; u++ {
			r.Rewards = append(r.Rewards, -0.6+0.3*f+0.2*math.Sin(float64(u)))
			r.Reward += r.Rewards[u] / 24
		}
		held = append(held, r)
	}
	return h, held
}

func TestPlotStage1(t *testing.T) {
	h, held := stage1Curves(80)
	dir := t.TempDir()
	if d := os.Getenv("POPI_PLOT_DIR"); d != "" {
		dir = d // to look at the figure
	}
	png, svg := filepath.Join(dir, "stage1.png"), filepath.Join(dir, "stage1.svg")
	if err := PlotStage1(h, held, true, 10, png, svg); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(png)
	s, _ := os.ReadFile(svg)
	if !bytes.HasPrefix(b, []byte("\x89PNG")) || !bytes.Contains(s, []byte("<svg")) {
		t.Fatal("not a PNG and an SVG")
	}
	for _, want := range []string{"held-out: 24 fixed users", "10-step mean", "attributes stated correctly", "summary length"} {
		if !bytes.Contains(s, []byte(want)) {
			t.Fatalf("figure lacks %q", want)
		}
	}
	// Without accuracy (real data) there is no accuracy panel; no held-out records is fine.
	if err := PlotStage1(h, nil, false, 10, svg); err != nil {
		t.Fatal(err)
	}
	if s, _ := os.ReadFile(svg); bytes.Contains(s, []byte("attributes stated")) {
		t.Fatal("accuracy panel without accuracy")
	}
	if PlotStage1(nil, held, true, 10, png) == nil {
		t.Fatal("empty history accepted")
	}
}

func TestSmoothed(t *testing.T) {
	m, se := smoothed([]float64{1, 2, 3, 4, 5}, 3)
	want := []float64{1.5, 2, 3, 4, 4.5}
	for i := range m {
		if math.Abs(m[i]-want[i]) > 1e-12 {
			t.Fatalf("mean %v, want %v", m, want)
		}
	}
	if math.Abs(se[2]-1/math.Sqrt(3)) > 1e-12 || math.Abs(se[0]-math.Sqrt(0.5)/math.Sqrt(2)) > 1e-12 {
		t.Fatalf("se %v", se)
	}
}

func TestHeldOutVerdict(t *testing.T) {
	_, held := stage1Curves(80)
	v := HeldOutVerdict(held)
	if !strings.HasPrefix(v, "Stage 1 raised held-out reward from -0.") || !strings.Contains(v, "attribute accuracy 60.0% -> 90.0%") ||
		!strings.Contains(v, "summary length 140.0 -> 15.0 tokens") || !strings.Contains(v, "over 24 users, 80 steps") {
		t.Fatalf("verdict %q", v)
	}
	down := []HeldOutRecord{held[len(held)-1], held[0]}
	down[1].Step = 90
	if v := HeldOutVerdict(down); !strings.HasPrefix(v, "Stage 1 lowered held-out reward") {
		t.Fatalf("verdict %q", v)
	}
	flat := []HeldOutRecord{held[0], held[0]}
	flat[1].Rewards = append([]float64(nil), held[0].Rewards...)
	flat[1].Rewards[0] += 0.01 // a change within the noise of the per-user changes
	flat[1].Rewards[1] -= 0.01
	if v := HeldOutVerdict(flat); !strings.HasPrefix(v, "Stage 1 did not clearly change held-out reward") {
		t.Fatalf("verdict %q", v)
	}
	if v := HeldOutVerdict(held[:1]); !strings.Contains(v, "no held-out evaluation") {
		t.Fatalf("verdict %q", v)
	}
}
