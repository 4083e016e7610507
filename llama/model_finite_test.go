package llama

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// A model with a NaN or infinite weight is not saved: the directory keeps its previous,
// loadable version (issue 16, item 1: Load refuses what Save used to write).
func TestSaveRefusesNonFiniteWeights(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.F32, tensor.BF16} {
		m, err := Load(tinyDir, LoadOptions{WeightType: dt.String()})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "m")
		if err := SaveModelDir(dir, m, nil, SaveDirOptions{}); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
		if dt == tensor.F32 {
			m.Layers[1].Up.F32[3] = float32(math.Inf(-1))
		} else {
			m.Layers[1].Up.U16[3] = 0x7fc0 // bf16 NaN
		}
		err = SaveModelDir(dir, m, nil, SaveDirOptions{})
		if err == nil || !strings.Contains(err.Error(), "model.layers.1.mlp.up_proj") {
			t.Fatalf("%s: save of a non-finite model: %v", dt, err)
		}
		after, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
		if string(before) != string(after) {
			t.Fatalf("%s: the refused save changed the directory", dt)
		}
		if _, err := Load(dir, LoadOptions{}); err != nil {
			t.Fatalf("%s: previous version no longer loads: %v", dt, err)
		}
	}
}
