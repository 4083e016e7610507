package nn

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An update that makes weights non-finite (a huge learning rate on finite gradients) is an
// error naming the parameter and the update, not a silent NaN model (issue 16, item 1).
func TestAdamWStepRejectsNonFiniteWeights(t *testing.T) {
	a := NewParam([]float32{1, 2, 3}, 3)
	a.Name = "layer.w"
	opt := NewAdamW(AdamWConfig{}, ParamGroup{Params: []*Value{a}})
	copy(a.grad(), []float32{0.1, -0.2, 0.3})
	if err := opt.Step(1e-3); err != nil {
		t.Fatalf("ordinary step: %v", err)
	}
	copy(a.grad(), []float32{0.1, -0.2, 0.3})
	err := opt.Step(1e300)
	if err == nil {
		t.Fatalf("step with lr 1e300 accepted; weights %v", a.Data)
	}
	for _, want := range []string{"layer.w", "update 2", "non-finite"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// SetState refuses NaN, infinite or negative moments; Save refuses to write them.
func TestAdamWStateRejectsNonFinite(t *testing.T) {
	a := NewParam([]float32{1, 2}, 2)
	opt := NewAdamW(AdamWConfig{}, ParamGroup{Params: []*Value{a}})
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for name, st := range map[string]*AdamWState{
		"NaN first moment":       {Step: 1, M: [][]float32{{nan, 0}}, V: [][]float32{{1, 1}}},
		"Inf first moment":       {Step: 1, M: [][]float32{{0, -inf}}, V: [][]float32{{1, 1}}},
		"NaN second moment":      {Step: 1, M: [][]float32{{0, 0}}, V: [][]float32{{nan, 1}}},
		"Inf second moment":      {Step: 1, M: [][]float32{{0, 0}}, V: [][]float32{{1, inf}}},
		"negative second moment": {Step: 1, M: [][]float32{{0, 0}}, V: [][]float32{{1, -0.5}}},
	} {
		if err := opt.SetState(st); err == nil {
			t.Errorf("%s: SetState accepted it", name)
		}
		p := filepath.Join(t.TempDir(), "opt.bin")
		if err := st.Save(p); err == nil {
			t.Errorf("%s: Save wrote it", name)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: a file was written (%v)", name, err)
		}
	}
	good := &AdamWState{Step: 1, M: [][]float32{{0.5, -1}}, V: [][]float32{{0, 2}}}
	if err := opt.SetState(good); err != nil {
		t.Fatalf("valid state refused: %v", err)
	}
}
