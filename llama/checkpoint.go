package llama

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/popi-go/popi/tensor"
)

// Save writes the model as a Hugging Face model directory: config.json
// and model.safetensors (HF tensor names, matrices in their in-memory type,
// norm weights f32; no lm_head when tied). Each file is written atomically
// (temporary file + rename), the weights first, so a reader never sees a
// config without its weights. torch_dtype is set from the matrices' type.
// Tokenizer files are not written. A view with an adapter (WithAdapter) is
// refused: save its adapter (Adapter.Save) or a merged copy (Merge).
func (m *Model) Save(dir string) error {
	if m.adapter != nil {
		return fmt.Errorf("llama: save: the model is a view with a LoRA adapter; save the adapter (Adapter.Save) or a merged copy (Merge)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("llama: save: %w", err)
	}
	var tensors []Tensor
	dtypes := map[tensor.DType]bool{}
	m.forEachMatrix(func(name string, w *Matrix) {
		dtypes[w.DType] = true
		tensors = append(tensors, Tensor{Name: name, DType: w.DType, Shape: []int{w.Rows, w.Cols}, F32: w.F32, U16: w.U16})
	})
	m.forEachNorm(func(name string, w []float32) {
		tensors = append(tensors, Tensor{Name: name, DType: tensor.F32, Shape: []int{len(w)}, F32: w})
	})
	cfg := *m.Config
	cfg.TorchDType = "float32"
	if len(dtypes) == 1 {
		switch {
		case dtypes[tensor.BF16]:
			cfg.TorchDType = "bfloat16"
		case dtypes[tensor.F16]:
			cfg.TorchDType = "float16"
		}
	}
	if err := WriteSafetensors(filepath.Join(dir, "model.safetensors"), tensors); err != nil {
		return fmt.Errorf("llama: save: %w", err)
	}
	if err := WriteConfig(filepath.Join(dir, "config.json"), &cfg); err != nil {
		return fmt.Errorf("llama: save: %w", err)
	}
	return nil
}
