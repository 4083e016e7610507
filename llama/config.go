package llama

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/popi-go/popi/internal/safefile"
)

// RopeScaling is the llama3 rotary-frequency scaling of Llama 3.1/3.2 (HF rope_type "llama3").
type RopeScaling struct {
	Type                 string  // always "llama3" after Validate
	Factor               float64 // e.g. 32
	LowFreqFactor        float64 // e.g. 1
	HighFreqFactor       float64 // e.g. 4
	OriginalMaxPositions int     // original_max_position_embeddings, e.g. 8192
}

// Config holds the hyper-parameters of a LLaMA-3 model (HF LlamaForCausalLM config.json).
type Config struct {
	Vocab             int          // vocab_size
	Hidden            int          // hidden_size
	Intermediate      int          // intermediate_size
	Layers            int          // num_hidden_layers
	Heads             int          // num_attention_heads
	KVHeads           int          // num_key_value_heads (defaults to Heads)
	HeadDim           int          // head_dim (defaults to Hidden/Heads)
	RMSNormEps        float64      // rms_norm_eps
	RopeTheta         float64      // rope_theta (or rope_parameters.rope_theta)
	RopeScaling       *RopeScaling // nil = plain RoPE
	TieWordEmbeddings bool         // lm_head shares model.embed_tokens.weight
	BOS               int          // bos_token_id (-1 if absent)
	EOS               []int        // eos_token_id, int or list in the file
	MaxPositions      int          // max_position_embeddings
	TorchDType        string       // torch_dtype / dtype: "float32", "bfloat16", "float16" or ""
}

type hfRope struct {
	RopeType       string   `json:"rope_type"`
	Type           string   `json:"type"`
	RopeTheta      *float64 `json:"rope_theta"`
	Factor         *float64 `json:"factor"`
	LowFreqFactor  *float64 `json:"low_freq_factor"`
	HighFreqFactor *float64 `json:"high_freq_factor"`
	OriginalMax    *int     `json:"original_max_position_embeddings"`
}

type hfConfig struct {
	Architectures     []string        `json:"architectures"`
	ModelType         string          `json:"model_type"`
	VocabSize         *int            `json:"vocab_size"`
	HiddenSize        *int            `json:"hidden_size"`
	IntermediateSize  *int            `json:"intermediate_size"`
	NumLayers         *int            `json:"num_hidden_layers"`
	NumHeads          *int            `json:"num_attention_heads"`
	NumKVHeads        *int            `json:"num_key_value_heads"`
	HeadDim           *int            `json:"head_dim"`
	RMSNormEps        *float64        `json:"rms_norm_eps"`
	RopeTheta         *float64        `json:"rope_theta"`
	RopeScaling       *hfRope         `json:"rope_scaling"`
	RopeParameters    *hfRope         `json:"rope_parameters"`
	TieWordEmbeddings *bool           `json:"tie_word_embeddings"`
	BOS               *int            `json:"bos_token_id"`
	EOS               json.RawMessage `json:"eos_token_id"`
	MaxPositions      *int            `json:"max_position_embeddings"`
	TorchDType        string          `json:"torch_dtype"`
	DType             string          `json:"dtype"`
	HiddenAct         string          `json:"hidden_act"`
	AttentionBias     bool            `json:"attention_bias"`
	MLPBias           bool            `json:"mlp_bias"`
	PretrainingTP     *int            `json:"pretraining_tp"`
}

// maxConfigFile caps config.json (a real one is a few kilobytes).
const maxConfigFile = 16 << 20

// LoadConfig reads and validates a HF config.json.
func LoadConfig(path string) (*Config, error) {
	data, err := safefile.ReadFile(path, maxConfigFile)
	if err != nil {
		return nil, fmt.Errorf("llama: config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}

// ParseConfig decodes and validates the contents of a HF config.json.
func ParseConfig(data []byte) (*Config, error) {
	var h hfConfig
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("llama: config: %w", err)
	}
	bad := func(format string, a ...any) (*Config, error) {
		return nil, fmt.Errorf("llama: config: "+format, a...)
	}
	if len(h.Architectures) > 0 {
		found := false
		for _, a := range h.Architectures {
			if a == "LlamaForCausalLM" {
				found = true
			}
		}
		if !found {
			return bad("unsupported architectures %v (want LlamaForCausalLM)", h.Architectures)
		}
	}
	if h.ModelType != "" && h.ModelType != "llama" {
		return bad("unsupported model_type %q (want llama)", h.ModelType)
	}
	if h.HiddenAct != "" && h.HiddenAct != "silu" {
		return bad("unsupported hidden_act %q (want silu)", h.HiddenAct)
	}
	if h.AttentionBias || h.MLPBias {
		return bad("attention_bias/mlp_bias are not supported")
	}
	if h.PretrainingTP != nil && *h.PretrainingTP != 1 {
		return bad("pretraining_tp %d is not supported (want 1)", *h.PretrainingTP)
	}
	req := func(p *int, name string) (int, error) {
		if p == nil {
			return 0, fmt.Errorf("llama: config: missing %s", name)
		}
		return *p, nil
	}
	c := &Config{BOS: -1}
	var err error
	for _, f := range []struct {
		dst  *int
		src  *int
		name string
	}{
		{&c.Vocab, h.VocabSize, "vocab_size"},
		{&c.Hidden, h.HiddenSize, "hidden_size"},
		{&c.Intermediate, h.IntermediateSize, "intermediate_size"},
		{&c.Layers, h.NumLayers, "num_hidden_layers"},
		{&c.Heads, h.NumHeads, "num_attention_heads"},
	} {
		if *f.dst, err = req(f.src, f.name); err != nil {
			return nil, err
		}
	}
	c.KVHeads = c.Heads
	if h.NumKVHeads != nil {
		c.KVHeads = *h.NumKVHeads
	}
	if h.HeadDim != nil {
		c.HeadDim = *h.HeadDim
	} else if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
		if c.Hidden%c.Heads != 0 {
			return bad("hidden_size %d not divisible by num_attention_heads %d and no head_dim", c.Hidden, c.Heads)
		}
	}
	if h.RMSNormEps == nil {
		return bad("missing rms_norm_eps")
	}
	c.RMSNormEps = *h.RMSNormEps
	c.RopeTheta = 10000 // HF default
	if h.RopeTheta != nil {
		c.RopeTheta = *h.RopeTheta
	}
	rope := h.RopeScaling
	if h.RopeParameters != nil {
		if h.RopeParameters.RopeTheta != nil {
			c.RopeTheta = *h.RopeParameters.RopeTheta
		}
		if rope == nil {
			rope = h.RopeParameters
		}
	}
	if rope != nil {
		typ := rope.RopeType
		if typ == "" {
			typ = rope.Type
		}
		switch typ {
		case "default", "":
			if rope.Factor != nil {
				return bad("rope scaling without rope_type but with factor is not supported")
			}
		case "llama3":
			if rope.Factor == nil || rope.LowFreqFactor == nil || rope.HighFreqFactor == nil || rope.OriginalMax == nil {
				return bad("llama3 rope_scaling needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings")
			}
			c.RopeScaling = &RopeScaling{Type: "llama3", Factor: *rope.Factor, LowFreqFactor: *rope.LowFreqFactor,
				HighFreqFactor: *rope.HighFreqFactor, OriginalMaxPositions: *rope.OriginalMax}
		default:
			return bad("unsupported rope type %q (only llama3 scaling or none)", typ)
		}
	}
	if h.TieWordEmbeddings != nil {
		c.TieWordEmbeddings = *h.TieWordEmbeddings
	} // HF's LlamaConfig default is false
	if h.BOS != nil {
		c.BOS = *h.BOS
	}
	if eos := bytes.TrimSpace(h.EOS); len(eos) > 0 && !bytes.Equal(eos, []byte("null")) {
		var one int
		if err := json.Unmarshal(eos, &one); err == nil {
			c.EOS = []int{one}
		} else if err := json.Unmarshal(eos, &c.EOS); err != nil {
			return bad("eos_token_id must be an int or a list of ints: %s", eos)
		}
	}
	if h.MaxPositions != nil {
		c.MaxPositions = *h.MaxPositions
	}
	c.TorchDType = h.TorchDType
	if c.TorchDType == "" {
		c.TorchDType = h.DType
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks that the configuration describes a LLaMA-3 model this package can run.
func (c *Config) Validate() error {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	pos := func(v int, name string) {
		if v <= 0 {
			add("%s must be positive, got %d", name, v)
		}
	}
	pos(c.Vocab, "vocab_size")
	pos(c.Hidden, "hidden_size")
	pos(c.Intermediate, "intermediate_size")
	pos(c.Layers, "num_hidden_layers")
	pos(c.Heads, "num_attention_heads")
	pos(c.KVHeads, "num_key_value_heads")
	pos(c.HeadDim, "head_dim")
	if c.Heads > 0 && c.KVHeads > 0 && c.Heads%c.KVHeads != 0 {
		add("num_attention_heads %d not divisible by num_key_value_heads %d", c.Heads, c.KVHeads)
	}
	if c.HeadDim > 0 && c.HeadDim%2 != 0 {
		add("head_dim %d must be even for RoPE", c.HeadDim)
	}
	const maxDim = 1 << 20
	for _, v := range []int{c.Vocab, c.Hidden, c.Intermediate, c.Heads, c.HeadDim, c.Layers} {
		if v > maxDim {
			add("dimension %d is implausibly large (> %d)", v, maxDim)
			break
		}
	}
	if !(c.RMSNormEps > 0 && c.RMSNormEps < 1) {
		add("rms_norm_eps must be in (0,1), got %g", c.RMSNormEps)
	}
	if !(c.RopeTheta > 1) {
		add("rope_theta must be > 1, got %g", c.RopeTheta)
	}
	if r := c.RopeScaling; r != nil {
		if r.Type != "llama3" {
			add("unsupported rope scaling type %q", r.Type)
		}
		if !(r.Factor >= 1) {
			add("rope_scaling.factor must be >= 1, got %g", r.Factor)
		}
		if !(r.LowFreqFactor > 0 && r.HighFreqFactor > r.LowFreqFactor) {
			add("rope_scaling needs 0 < low_freq_factor < high_freq_factor, got %g, %g", r.LowFreqFactor, r.HighFreqFactor)
		}
		if r.OriginalMaxPositions <= 0 {
			add("rope_scaling.original_max_position_embeddings must be positive, got %d", r.OriginalMaxPositions)
		}
	}
	if c.BOS < -1 || c.BOS >= c.Vocab {
		add("bos_token_id %d outside vocabulary of %d", c.BOS, c.Vocab)
	}
	for _, e := range c.EOS {
		if e < 0 || e >= c.Vocab {
			add("eos_token_id %d outside vocabulary of %d", e, c.Vocab)
		}
	}
	if c.MaxPositions < 0 {
		add("max_position_embeddings must not be negative, got %d", c.MaxPositions)
	}
	switch c.TorchDType {
	case "", "float32", "bfloat16", "float16":
	default:
		add("unsupported torch_dtype %q", c.TorchDType)
	}
	if len(errs) > 0 {
		return errors.New("llama: config: " + strings.Join(errs, "; "))
	}
	return nil
}

// IsEOS reports whether id is one of the configured end-of-sequence ids.
func (c *Config) IsEOS(id int) bool {
	for _, e := range c.EOS {
		if e == id {
			return true
		}
	}
	return false
}
