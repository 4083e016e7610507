package llama

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/tensor"
)

// Layer holds the weights of one decoder block.
type Layer struct {
	AttnNorm   []float32 // input_layernorm.weight [Hidden]
	Q, K, V, O Matrix    // self_attn.{q,k,v,o}_proj.weight
	MLPNorm    []float32 // post_attention_layernorm.weight [Hidden]
	Gate, Up   Matrix    // mlp.{gate,up}_proj.weight [Intermediate, Hidden]
	Down       Matrix    // mlp.down_proj.weight [Hidden, Intermediate]

	// qkv stacks Q, K, V and gateUp stacks Gate, Up (see model_fuse.go).
	qkv, gateUp Matrix
}

// Model is a LLaMA-3 / Llama-3.2 decoder (Hugging Face LlamaForCausalLM
// semantics) with its weights. Matrices may be float32 or 16-bit; norm
// weights are always float32. A Model is read-only once built and may be
// shared by goroutines; per-call scratch lives in a Runner.
type Model struct {
	Config *Config
	Embed  Matrix    // model.embed_tokens.weight [Vocab, Hidden]
	Layers []Layer   // model.layers.N
	Norm   []float32 // model.norm.weight [Hidden]
	// LMHead is lm_head.weight [Vocab, Hidden]; with tied embeddings it
	// points at Embed.
	LMHead *Matrix
	// AllowBF16Dot lets bf16 matrices use the bf16 dot-product
	// instructions (activations rounded to bf16: faster, less exact).
	AllowBF16Dot bool

	dims    dims
	invFreq []float32

	// adapter is the LoRA adapter of a view made by WithAdapter (nil:
	// none); frozen marks such a view, whose base weights are constants
	// in Trainable.
	adapter *Adapter
	frozen  bool
}

// dims are the model's sizes, taken from the Config once.
type dims struct {
	hidden, inter, layers, heads, kvHeads, headDim, vocab int
	qDim, kvDim                                           int
	eps                                                   float32
	maxPos                                                int // 0: unlimited
	tied                                                  bool
}

func configDims(c *Config) (dims, error) {
	if c == nil {
		return dims{}, fmt.Errorf("llama: nil config")
	}
	if err := c.Validate(); err != nil {
		return dims{}, err
	}
	d := dims{
		hidden: c.Hidden, inter: c.Intermediate, layers: c.Layers, heads: c.Heads,
		kvHeads: c.KVHeads, headDim: c.HeadDim, vocab: c.Vocab,
		eps: float32(c.RMSNormEps), maxPos: c.MaxPositions, tied: c.TieWordEmbeddings,
	}
	if d.headDim%2 != 0 {
		return dims{}, fmt.Errorf("llama: head_dim %d must be even for RoPE", d.headDim)
	}
	d.qDim = d.heads * d.headDim
	d.kvDim = d.kvHeads * d.headDim
	return d, nil
}

// Param names in Hugging Face spelling.
const (
	nameEmbed  = "model.embed_tokens.weight"
	nameNorm   = "model.norm.weight"
	nameLMHead = "lm_head.weight"
)

func layerName(i int, part string) string {
	return fmt.Sprintf("model.layers.%d.%s.weight", i, part)
}

// newModel validates cfg and fills the derived fields of an empty model.
func newModel(cfg *Config) (*Model, error) {
	d, err := configDims(cfg)
	if err != nil {
		return nil, err
	}
	inv := cfg.RoPEInvFreq()
	if len(inv) != d.headDim/2 {
		return nil, fmt.Errorf("llama: RoPE has %d frequencies, want head_dim/2 = %d", len(inv), d.headDim/2)
	}
	return &Model{Config: cfg, dims: d, invFreq: inv, Layers: make([]Layer, d.layers)}, nil
}

// NumParams counts the parameters (a tied lm_head counted once).
func (m *Model) NumParams() int64 {
	var n int64
	m.forEachMatrix(func(_ string, w *Matrix) { n += int64(w.Rows) * int64(w.Cols) })
	m.forEachNorm(func(_ string, w []float32) { n += int64(len(w)) })
	return n
}

// WeightBytes reports the memory held by the weights.
func (m *Model) WeightBytes() int64 {
	var n int64
	m.forEachMatrix(func(_ string, w *Matrix) { n += w.Bytes() })
	m.forEachNorm(func(_ string, w []float32) { n += int64(len(w)) * 4 })
	return n
}

// forEachMatrix visits every weight matrix with its HF name (lm_head only
// when untied).
func (m *Model) forEachMatrix(fn func(name string, w *Matrix)) {
	fn(nameEmbed, &m.Embed)
	for i := range m.Layers {
		l := &m.Layers[i]
		fn(layerName(i, "self_attn.q_proj"), &l.Q)
		fn(layerName(i, "self_attn.k_proj"), &l.K)
		fn(layerName(i, "self_attn.v_proj"), &l.V)
		fn(layerName(i, "self_attn.o_proj"), &l.O)
		fn(layerName(i, "mlp.gate_proj"), &l.Gate)
		fn(layerName(i, "mlp.up_proj"), &l.Up)
		fn(layerName(i, "mlp.down_proj"), &l.Down)
	}
	if !m.dims.tied {
		fn(nameLMHead, m.LMHead)
	}
}

// forEachNorm visits every RMSNorm weight with its HF name.
func (m *Model) forEachNorm(fn func(name string, w []float32)) {
	for i := range m.Layers {
		fn(layerName(i, "input_layernorm"), m.Layers[i].AttnNorm)
		fn(layerName(i, "post_attention_layernorm"), m.Layers[i].MLPNorm)
	}
	fn(nameNorm, m.Norm)
}

// matrixShape is the expected [rows, cols] of a named matrix.
func (d dims) matrixShape(part string) (int, int) {
	switch part {
	case "self_attn.q_proj":
		return d.qDim, d.hidden
	case "self_attn.k_proj", "self_attn.v_proj":
		return d.kvDim, d.hidden
	case "self_attn.o_proj":
		return d.hidden, d.qDim
	case "mlp.gate_proj", "mlp.up_proj":
		return d.inter, d.hidden
	case "mlp.down_proj":
		return d.hidden, d.inter
	}
	return d.vocab, d.hidden // embed, lm_head
}

// ConvertWeights re-stores every matrix as dt (F32, BF16 or F16), one matrix
// at a time. Norm weights stay float32.
func (m *Model) ConvertWeights(dt tensor.DType) error {
	var err error
	m.forEachMatrix(func(name string, w *Matrix) {
		if err != nil || w.DType == dt {
			return
		}
		var c Matrix
		c, err = w.Convert(dt)
		if err != nil {
			err = fmt.Errorf("llama: convert %s: %w", name, err)
			return
		}
		*w = c
	})
	if m.dims.tied {
		m.LMHead = &m.Embed
	}
	m.fuseLayers()
	return err
}

// ropeAngles fills cos/sin (len headDim/2 each) for one position exactly as
// Hugging Face does in float32: angle = float32(pos) * invFreq (one f32
// product), then cos and sin of that f32 angle rounded to f32.
func ropeAngles(invFreq []float32, pos int, cos, sin []float32) {
	p := float32(pos)
	for i, f := range invFreq {
		a := float64(p * f)
		cos[i] = float32(math.Cos(a))
		sin[i] = float32(math.Sin(a))
	}
}

// Clone returns a deep copy of the model (weights and config), for
// example a trainable policy initialised from a frozen reference. A view
// (WithAdapter) clones into a view of the copied weights with a copy of
// its adapter.
func (m *Model) Clone() *Model {
	c := *m
	cfg := *m.Config
	cfg.EOS = append([]int(nil), m.Config.EOS...)
	if m.Config.RopeScaling != nil {
		rs := *m.Config.RopeScaling
		cfg.RopeScaling = &rs
	}
	c.Config = &cfg
	cm := func(w Matrix) Matrix {
		if w.F32 != nil {
			w.F32 = append([]float32(nil), w.F32...)
		}
		if w.U16 != nil {
			w.U16 = append([]uint16(nil), w.U16...)
		}
		if w.Q != nil {
			w.Q = append([]byte(nil), w.Q...)
		}
		return w
	}
	cn := func(w []float32) []float32 { return append([]float32(nil), w...) }
	c.Embed = cm(m.Embed)
	c.Norm = cn(m.Norm)
	c.invFreq = cn(m.invFreq)
	c.Layers = make([]Layer, len(m.Layers))
	for i, l := range m.Layers {
		c.Layers[i] = Layer{AttnNorm: cn(l.AttnNorm), Q: cm(l.Q), K: cm(l.K), V: cm(l.V), O: cm(l.O),
			MLPNorm: cn(l.MLPNorm), Gate: cm(l.Gate), Up: cm(l.Up), Down: cm(l.Down)}
	}
	if m.dims.tied {
		c.LMHead = &c.Embed
	} else {
		h := cm(*m.LMHead)
		c.LMHead = &h
	}
	c.fuseLayers()
	if m.adapter != nil {
		c.adapter = m.adapter.Clone()
	}
	return &c
}
