package llama

import (
	"fmt"
	"strings"

	"github.com/popi-go/popi/tensor"
)

// QuantMix is a recipe for quantizing a model's matrices, after
// llama.cpp's llama-quantize file types (without an importance matrix):
//
//	q8_0    every matrix Q8_0
//	q4_0    Q4_0; the output matrix (the embeddings when tied) Q6_K
//	q4_k_m  Q4_K; the output matrix (the embeddings when tied) Q6_K, and
//	        attn_v and ffn_down Q6_K in the layers where llama.cpp's
//	        use_more_bits holds (the first and last eighth, and every third
//	        layer in between)
//
// A matrix whose rows do not split into whole blocks falls back as
// llama.cpp does: Q6_K to Q8_0, Q8_0 to F16; Q4_K and Q4_0 to Q8_0 (where
// llama.cpp takes Q5_0/Q5_1, formats popi-go does not implement).
type QuantMix string

const (
	MixQ8_0  QuantMix = "q8_0"
	MixQ4_0  QuantMix = "q4_0"
	MixQ4_KM QuantMix = "q4_k_m"
)

var quantMixes = map[string]QuantMix{"q8_0": MixQ8_0, "q4_0": MixQ4_0, "q4_k_m": MixQ4_KM}

// ParseQuantMix returns the mix named s (case-insensitive).
func ParseQuantMix(s string) (QuantMix, error) {
	if m, ok := quantMixes[strings.ToLower(s)]; ok {
		return m, nil
	}
	return "", fmt.Errorf("llama: unknown quantization %q (want q8_0, q4_0 or q4_k_m)", s)
}

// fileType is the GGUF general.file_type (llama_ftype) of the mix.
func (mix QuantMix) fileType() uint32 {
	switch mix {
	case MixQ8_0:
		return 7 // LLAMA_FTYPE_MOSTLY_Q8_0
	case MixQ4_0:
		return 2 // LLAMA_FTYPE_MOSTLY_Q4_0
	}
	return 15 // LLAMA_FTYPE_MOSTLY_Q4_K_M
}

// useMoreBits is llama.cpp's use_more_bits(i_layer, n_layers).
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// typeFor returns the stored type of a matrix of the given GGUF role
// ("token_embd", "output", "attn_q", ..., "ffn_down") in layer of layers,
// with cols values per row; tied says the embeddings are the output.
func (mix QuantMix) typeFor(role string, layer, layers, cols int, tied bool) tensor.DType {
	var dt tensor.DType
	switch mix {
	case MixQ8_0:
		dt = tensor.Q8_0
	case MixQ4_0:
		dt = tensor.Q4_0
	default:
		dt = tensor.Q4_K
	}
	output := role == "output" || (tied && role == "token_embd")
	switch {
	case output && dt != tensor.Q8_0:
		dt = tensor.Q6_K
	case mix == MixQ4_KM && (role == "attn_v" || role == "ffn_down") && useMoreBits(layer, layers):
		dt = tensor.Q6_K
	}
	if cols%dt.BlockSize() != 0 {
		dt = tensor.Q8_0
		if cols%32 != 0 {
			dt = tensor.F16
		}
	}
	return dt
}

// Quantize re-stores every matrix as mix chooses (llama.cpp's reference
// quantizers, see Matrix.Convert), one matrix at a time, and re-fuses the
// layers. Norm weights stay float32.
func (m *Model) Quantize(mix QuantMix) error {
	if _, ok := quantMixes[string(mix)]; !ok {
		return fmt.Errorf("llama: unknown quantization %q", mix)
	}
	d := m.dims
	conv := func(name, role string, layer int, w *Matrix) error {
		dt := mix.typeFor(role, layer, d.layers, w.Cols, d.tied)
		if w.DType == dt {
			return nil
		}
		c, err := w.Convert(dt)
		if err != nil {
			return fmt.Errorf("llama: quantize %s: %w", name, err)
		}
		*w = c
		return nil
	}
	if err := conv(nameEmbed, "token_embd", 0, &m.Embed); err != nil {
		return err
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		for _, p := range []struct {
			part, role string
			w          *Matrix
		}{
			{"self_attn.q_proj", "attn_q", &l.Q}, {"self_attn.k_proj", "attn_k", &l.K},
			{"self_attn.v_proj", "attn_v", &l.V}, {"self_attn.o_proj", "attn_output", &l.O},
			{"mlp.gate_proj", "ffn_gate", &l.Gate}, {"mlp.up_proj", "ffn_up", &l.Up},
			{"mlp.down_proj", "ffn_down", &l.Down},
		} {
			if err := conv(layerName(i, p.part), p.role, i, p.w); err != nil {
				return err
			}
		}
		l.qkv, l.gateUp = Matrix{}, Matrix{}
	}
	if d.tied {
		m.LMHead = &m.Embed
	} else if err := conv(nameLMHead, "output", 0, m.LMHead); err != nil {
		return err
	}
	m.fuseLayers()
	return nil
}
