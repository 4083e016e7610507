package llama

import (
	"fmt"
	"slices"
	"strings"

	"github.com/popi-go/popi/tensor"
)

// LoadOptions controls how Load keeps the weights in memory.
type LoadOptions struct {
	// WeightType is the in-memory type of the matrices: "" or "auto" keeps
	// the file's type (F32 stays F32, BF16/F16 stay 16-bit, the quantized
	// GGUF types Q8_0, Q4_0, Q4_K and Q6_K stay quantized, in their stored
	// blocks); "f32", "bf16" or "f16" convert; "q8_0", "q4_0" or "q4_k_m"
	// quantize after loading with llama.cpp's reference quantizer and type
	// mix (see QuantMix). Norm weights are always f32.
	WeightType string
	// AllowBF16Dot sets Model.AllowBF16Dot.
	AllowBF16Dot bool
}

func (o LoadOptions) target() (tensor.DType, bool, error) {
	if _, ok := quantMixes[strings.ToLower(o.WeightType)]; ok {
		return 0, false, nil // quantized after loading (LoadFrom)
	}
	switch strings.ToLower(o.WeightType) {
	case "", "auto":
		return 0, false, nil
	case "f32", "float32":
		return tensor.F32, true, nil
	case "bf16", "bfloat16":
		return tensor.BF16, true, nil
	case "f16", "float16":
		return tensor.F16, true, nil
	}
	return 0, false, fmt.Errorf("llama: unknown weight type %q (want auto, f32, bf16, f16, q8_0, q4_0 or q4_k_m)", o.WeightType)
}

// LoadFrom builds a model of cfg from the tensors in ts. Every expected
// tensor must be present with its exact shape; unknown tensors are an
// error (they signal a config/weights mismatch).
func LoadFrom(cfg *Config, ts TensorSet, opts LoadOptions) (*Model, error) {
	target, force, err := opts.target()
	if err != nil {
		return nil, err
	}
	m, err := newModel(cfg)
	if err != nil {
		return nil, err
	}
	m.AllowBF16Dot = opts.AllowBF16Dot
	d := m.dims
	used := map[string]bool{}
	qbuf := newQuantArena(ts, m, force)

	readMatrix := func(name string, rows, cols int) (Matrix, error) {
		used[name] = true
		dt, shape, ok := ts.Info(name)
		if !ok {
			return Matrix{}, fmt.Errorf("llama: missing tensor %s (want shape [%d %d])", name, rows, cols)
		}
		if len(shape) != 2 || shape[0] != rows || shape[1] != cols {
			return Matrix{}, fmt.Errorf("llama: tensor %s has shape %v, want [%d %d]", name, shape, rows, cols)
		}
		if isWeightQuant(dt) && !force {
			return qbuf.read(name, dt, rows, cols)
		}
		want := dt
		if force {
			want = target
		} else if dt != tensor.BF16 && dt != tensor.F16 {
			want = tensor.F32
		}
		if (want == tensor.BF16 || want == tensor.F16) && dt == want {
			u, _, err := ts.ReadU16(name)
			if err != nil {
				return Matrix{}, fmt.Errorf("llama: read %s: %w", name, err)
			}
			if len(u) != rows*cols {
				return Matrix{}, fmt.Errorf("llama: tensor %s has %d values, want %d", name, len(u), rows*cols)
			}
			if !halfFinite(u, dt) {
				return Matrix{}, fmt.Errorf("llama: tensor %s contains NaN or Inf", name)
			}
			return Matrix{Rows: rows, Cols: cols, DType: dt, U16: u}, nil
		}
		f, err := ts.ReadF32(name)
		if err != nil {
			return Matrix{}, fmt.Errorf("llama: read %s: %w", name, err)
		}
		if len(f) != rows*cols {
			return Matrix{}, fmt.Errorf("llama: tensor %s has %d values, want %d", name, len(f), rows*cols)
		}
		if !isFinite(f) {
			return Matrix{}, fmt.Errorf("llama: tensor %s contains NaN or Inf", name)
		}
		w := NewMatrixF32(rows, cols, f)
		if want != tensor.F32 {
			if w, err = w.Convert(want); err != nil {
				return Matrix{}, fmt.Errorf("llama: %s: %w", name, err)
			}
		}
		return w, nil
	}
	readNorm := func(name string) ([]float32, error) {
		used[name] = true
		_, shape, ok := ts.Info(name)
		if !ok {
			return nil, fmt.Errorf("llama: missing tensor %s (want shape [%d])", name, d.hidden)
		}
		if len(shape) != 1 || shape[0] != d.hidden {
			return nil, fmt.Errorf("llama: tensor %s has shape %v, want [%d]", name, shape, d.hidden)
		}
		f, err := ts.ReadF32(name)
		if err != nil {
			return nil, fmt.Errorf("llama: read %s: %w", name, err)
		}
		if len(f) != d.hidden {
			return nil, fmt.Errorf("llama: tensor %s has %d values, want %d", name, len(f), d.hidden)
		}
		if !isFinite(f) {
			return nil, fmt.Errorf("llama: tensor %s contains NaN or Inf", name)
		}
		return f, nil
	}

	if m.Embed, err = readMatrix(nameEmbed, d.vocab, d.hidden); err != nil {
		return nil, err
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		for _, p := range []struct {
			part string
			dst  *Matrix
		}{
			{"self_attn.q_proj", &l.Q}, {"self_attn.k_proj", &l.K}, {"self_attn.v_proj", &l.V},
			{"self_attn.o_proj", &l.O}, {"mlp.gate_proj", &l.Gate}, {"mlp.up_proj", &l.Up},
			{"mlp.down_proj", &l.Down},
		} {
			r, c := d.matrixShape(p.part)
			if *p.dst, err = readMatrix(layerName(i, p.part), r, c); err != nil {
				return nil, err
			}
		}
		if l.AttnNorm, err = readNorm(layerName(i, "input_layernorm")); err != nil {
			return nil, err
		}
		if l.MLPNorm, err = readNorm(layerName(i, "post_attention_layernorm")); err != nil {
			return nil, err
		}
	}
	if m.Norm, err = readNorm(nameNorm); err != nil {
		return nil, err
	}
	if d.tied {
		used[nameLMHead] = true // HF ignores a stored lm_head when tied
		m.LMHead = &m.Embed
	} else {
		w, err := readMatrix(nameLMHead, d.vocab, d.hidden)
		if err != nil {
			return nil, fmt.Errorf("%w (config has tie_word_embeddings false)", err)
		}
		m.LMHead = &w
	}
	var extra []string
	for _, n := range ts.Names() {
		if !used[n] && !strings.HasSuffix(n, "rotary_emb.inv_freq") {
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		if len(extra) > 5 {
			extra = append(extra[:5], "...")
		}
		return nil, fmt.Errorf("llama: unexpected tensors for a %d-layer model: %s", d.layers, strings.Join(extra, ", "))
	}
	m.fuseLayers()
	if mix, ok := quantMixes[strings.ToLower(opts.WeightType)]; ok {
		if err := m.Quantize(mix); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Load reads a model from a Hugging Face model directory (config.json plus
// model.safetensors or a sharded index) or from a llama.cpp .gguf file (its
// metadata gives the config).
func Load(path string, opts LoadOptions) (*Model, error) {
	cfg, err := loadModelConfig(path)
	if err != nil {
		return nil, err
	}
	ts, err := OpenTensors(path)
	if err != nil {
		return nil, err
	}
	defer ts.Close()
	m, err := LoadFrom(cfg, ts, opts)
	if err != nil {
		return nil, fmt.Errorf("%w (loading %s)", err, path)
	}
	return m, nil
}
