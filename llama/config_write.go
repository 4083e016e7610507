package llama

import (
	"encoding/json"

	"github.com/popi-go/popi/internal/atomicfile"
)

type hfRopeOut struct {
	Factor         float64 `json:"factor"`
	HighFreqFactor float64 `json:"high_freq_factor"`
	LowFreqFactor  float64 `json:"low_freq_factor"`
	OriginalMax    int     `json:"original_max_position_embeddings"`
	RopeType       string  `json:"rope_type"`
}

type hfConfigOut struct {
	Architectures     []string   `json:"architectures"`
	AttentionBias     bool       `json:"attention_bias"`
	AttentionDropout  float64    `json:"attention_dropout"`
	BOS               *int       `json:"bos_token_id,omitempty"`
	EOS               any        `json:"eos_token_id,omitempty"`
	HeadDim           int        `json:"head_dim"`
	HiddenAct         string     `json:"hidden_act"`
	HiddenSize        int        `json:"hidden_size"`
	InitializerRange  float64    `json:"initializer_range"`
	IntermediateSize  int        `json:"intermediate_size"`
	MaxPositions      int        `json:"max_position_embeddings"`
	MLPBias           bool       `json:"mlp_bias"`
	ModelType         string     `json:"model_type"`
	NumHeads          int        `json:"num_attention_heads"`
	NumLayers         int        `json:"num_hidden_layers"`
	NumKVHeads        int        `json:"num_key_value_heads"`
	PretrainingTP     int        `json:"pretraining_tp"`
	RMSNormEps        float64    `json:"rms_norm_eps"`
	RopeScaling       *hfRopeOut `json:"rope_scaling"`
	RopeTheta         float64    `json:"rope_theta"`
	TieWordEmbeddings bool       `json:"tie_word_embeddings"`
	TorchDType        string     `json:"torch_dtype,omitempty"`
	UseCache          bool       `json:"use_cache"`
	VocabSize         int        `json:"vocab_size"`
}

// MarshalHF encodes the config as a HF LlamaForCausalLM config.json (after validating it).
func (c *Config) MarshalHF() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	o := hfConfigOut{
		Architectures: []string{"LlamaForCausalLM"}, HeadDim: c.HeadDim, HiddenAct: "silu",
		HiddenSize: c.Hidden, InitializerRange: 0.02, IntermediateSize: c.Intermediate,
		MaxPositions: c.MaxPositions, ModelType: "llama", NumHeads: c.Heads, NumLayers: c.Layers,
		NumKVHeads: c.KVHeads, PretrainingTP: 1, RMSNormEps: c.RMSNormEps, RopeTheta: c.RopeTheta,
		TieWordEmbeddings: c.TieWordEmbeddings, TorchDType: c.TorchDType, UseCache: true, VocabSize: c.Vocab,
	}
	if c.BOS >= 0 {
		b := c.BOS
		o.BOS = &b
	}
	switch len(c.EOS) {
	case 0:
	case 1:
		o.EOS = c.EOS[0]
	default:
		o.EOS = append([]int(nil), c.EOS...)
	}
	if r := c.RopeScaling; r != nil {
		o.RopeScaling = &hfRopeOut{Factor: r.Factor, HighFreqFactor: r.HighFreqFactor,
			LowFreqFactor: r.LowFreqFactor, OriginalMax: r.OriginalMaxPositions, RopeType: r.Type}
	}
	out, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// WriteConfig atomically writes cfg as a HF config.json at path.
func WriteConfig(path string, cfg *Config) error {
	data, err := cfg.MarshalHF()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}
