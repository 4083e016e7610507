package llama

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/popi-go/popi/tensor"
)

// TensorSet is a read-only collection of named tensors, keyed by Hugging Face names
// (model.embed_tokens.weight, model.layers.N.self_attn.q_proj.weight, ...).
// Shapes are row-major in HF order ([out, in] for linear weights) whatever the file format.
type TensorSet interface {
	Names() []string                                     // HF names, sorted
	Info(name string) (tensor.DType, []int, bool)        // dtype and shape (row-major, HF order), ok
	ReadF32(name string) ([]float32, error)              // widened/dequantized copy
	ReadU16(name string) ([]uint16, tensor.DType, error) // raw bf16/f16 bits; error if not 16-bit
}

// TensorFile is a TensorSet backed by open files; Close releases them.
type TensorFile interface {
	TensorSet
	Close() error
}

// OpenTensors opens the weights at path, which is one of:
//   - a directory holding model.safetensors, or a sharded model.safetensors.index.json,
//     or exactly one *.gguf file;
//   - a *.safetensors file;
//   - a *.safetensors.index.json file;
//   - a *.gguf file.
func OpenTensors(path string) (TensorFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("llama: open tensors: %w", err)
	}
	if st.IsDir() {
		single := filepath.Join(path, "model.safetensors")
		if fileExists(single) {
			return asTensorFile(OpenSafetensors(single))
		}
		index := filepath.Join(path, "model.safetensors.index.json")
		if fileExists(index) {
			return asTensorFile(OpenShardedSafetensors(index))
		}
		ggufs, _ := filepath.Glob(filepath.Join(path, "*.gguf"))
		switch len(ggufs) {
		case 1:
			return OpenGGUFTensors(ggufs[0])
		case 0:
			return nil, fmt.Errorf("llama: open tensors: %s has no model.safetensors, model.safetensors.index.json or *.gguf", path)
		default:
			return nil, fmt.Errorf("llama: open tensors: %s has %d .gguf files; pass one file path", path, len(ggufs))
		}
	}
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".gguf"):
		return OpenGGUFTensors(path)
	case strings.HasSuffix(lower, ".index.json"):
		return asTensorFile(OpenShardedSafetensors(path))
	case strings.HasSuffix(lower, ".safetensors"):
		return asTensorFile(OpenSafetensors(path))
	}
	return nil, fmt.Errorf("llama: open tensors: %s: unknown file type (want .safetensors, .safetensors.index.json or .gguf)", path)
}

// asTensorFile converts a concrete result to the interface without creating a non-nil
// interface that holds a nil pointer on error.
func asTensorFile[T TensorFile](f T, err error) (TensorFile, error) {
	if err != nil {
		return nil, err
	}
	return f, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// numElements multiplies the dims of shape, failing on negative dims or overflow past limit.
func numElements(shape []int, limit int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > limit/int64(d) {
			return 0, fmt.Errorf("shape %v too large", shape)
		}
		n *= int64(d)
	}
	return n, nil
}
