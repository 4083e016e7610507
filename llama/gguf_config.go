package llama

import (
	"fmt"
	"sort"

	"github.com/popi-go/popi/tensor"
)

// Config builds a model Config from the llama.* metadata of a GGUF file
// (general.architecture must be "llama"). Tied embeddings are inferred from the absence
// of output.weight. EOS holds tokenizer.ggml.eos/eot/eom_token_id plus the control tokens
// <|end_of_text|>, <|eot_id|> and <|eom_id|> (llama.cpp's end-of-generation set), sorted.
// llama.cpp stores llama3 RoPE scaling as the rope_freqs tensor of
// per-frequency divisors; if present, the standard llama3 parameters (factor = largest
// divisor, low 1, high 4, original context 8192 unless llama.rope.scaling.* says otherwise)
// are checked to reproduce every divisor, else an error is returned.
func (g *GGUF) Config() (*Config, error) {
	arch, _ := g.String("general.architecture")
	if arch != "llama" {
		return nil, fmt.Errorf("llama: gguf: general.architecture %q is not supported (want llama)", arch)
	}
	geti := func(key string, def int64, required bool) (int, error) {
		v, ok := g.Int(key)
		if !ok {
			if required {
				return 0, fmt.Errorf("llama: gguf: missing integer metadata %s", key)
			}
			return int(def), nil
		}
		if v < 0 || v > 1<<31 {
			return 0, fmt.Errorf("llama: gguf: metadata %s = %d out of range", key, v)
		}
		return int(v), nil
	}
	c := &Config{BOS: -1}
	var err error
	if c.Hidden, err = geti("llama.embedding_length", 0, true); err != nil {
		return nil, err
	}
	if c.Intermediate, err = geti("llama.feed_forward_length", 0, true); err != nil {
		return nil, err
	}
	if c.Layers, err = geti("llama.block_count", 0, true); err != nil {
		return nil, err
	}
	if c.Heads, err = geti("llama.attention.head_count", 0, true); err != nil {
		return nil, err
	}
	if c.KVHeads, err = geti("llama.attention.head_count_kv", int64(c.Heads), false); err != nil {
		return nil, err
	}
	if c.MaxPositions, err = geti("llama.context_length", 0, false); err != nil {
		return nil, err
	}
	defHead := int64(0)
	if c.Heads > 0 {
		defHead = int64(c.Hidden / c.Heads)
	}
	if c.HeadDim, err = geti("llama.attention.key_length", defHead, false); err != nil {
		return nil, err
	}
	if rd, ok := g.Int("llama.rope.dimension_count"); ok && int(rd) != c.HeadDim {
		return nil, fmt.Errorf("llama: gguf: partial rotary embedding (rope.dimension_count %d, head dim %d) is not supported", rd, c.HeadDim)
	}
	tokens, _ := g.Strings("tokenizer.ggml.tokens")
	if c.Vocab, err = geti("llama.vocab_size", int64(len(tokens)), false); err != nil {
		return nil, err
	}
	if c.Vocab == 0 {
		if te, ok := g.Tensor("token_embd.weight"); ok && len(te.Dims) == 2 {
			c.Vocab = int(te.Dims[1])
		}
	}
	eps, ok := g.Float("llama.attention.layer_norm_rms_epsilon")
	if !ok {
		return nil, fmt.Errorf("llama: gguf: missing llama.attention.layer_norm_rms_epsilon")
	}
	// float32 metadata: round to the shortest decimal that gives the same float32 (1e-5, not 9.99999974738e-06).
	c.RMSNormEps = shortestF32(eps)
	c.RopeTheta = 10000
	if th, ok := g.Float("llama.rope.freq_base"); ok {
		c.RopeTheta = shortestF32(th)
	}
	_, hasOutput := g.Tensor("output.weight")
	c.TieWordEmbeddings = !hasOutput
	if b, ok := g.Int("tokenizer.ggml.bos_token_id"); ok {
		c.BOS = int(b)
	}
	for _, k := range []string{"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"} {
		if e, ok := g.Int(k); ok && !c.IsEOS(int(e)) {
			c.EOS = append(c.EOS, int(e))
		}
	}
	// Like llama.cpp, also end generation on the LLaMA-3 end-of-text/turn/message control tokens.
	if types, ok := g.Ints("tokenizer.ggml.token_type"); ok && len(types) == len(tokens) {
		for id, s := range tokens {
			if types[id] == 3 && (s == "<|end_of_text|>" || s == "<|eot_id|>" || s == "<|eom_id|>") && !c.IsEOS(id) {
				c.EOS = append(c.EOS, id)
			}
		}
	}
	sort.Ints(c.EOS)
	if err := g.ropeScaling(c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("llama: gguf: %w", err)
	}
	return c, nil
}

func shortestF32(v float64) float64 {
	f := float32(v)
	var s float64
	fmt.Sscanf(fmt.Sprint(f), "%g", &s)
	if float32(s) == f {
		return s
	}
	return v
}

func (g *GGUF) ropeScaling(c *Config) error {
	ti, ok := g.Tensor("rope_freqs.weight")
	if !ok {
		if t, ok := g.String("llama.rope.scaling.type"); ok && t != "none" {
			return fmt.Errorf("llama: gguf: rope scaling type %q is not supported", t)
		}
		return nil
	}
	if len(ti.Dims) != 1 || int(ti.Dims[0]) != c.HeadDim/2 || ti.DType != tensor.F32 {
		return fmt.Errorf("llama: gguf: rope_freqs.weight has dims %v %s, want [%d] F32", ti.Dims, ti.DType, c.HeadDim/2)
	}
	raw, err := g.ReadRaw("rope_freqs.weight")
	if err != nil {
		return err
	}
	div := decodeF32(tensor.F32, raw, int(ti.n))
	factor := 1.0
	for _, d := range div {
		factor = max(factor, float64(d))
	}
	r := &RopeScaling{Type: "llama3", Factor: shortestF32(factor), LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}
	if f, ok := g.Float("llama.rope.scaling.factor"); ok && f > 0 {
		r.Factor = shortestF32(f)
	}
	if o, ok := g.Int("llama.rope.scaling.original_context_length"); ok && o > 0 {
		r.OriginalMaxPositions = int(o)
	}
	plain := *c
	plain.RopeScaling = nil
	scaled := *c
	scaled.RopeScaling = r
	if plain.HeadDim <= 0 || plain.HeadDim%2 != 0 || !(plain.RopeTheta > 1) {
		return fmt.Errorf("llama: gguf: invalid head dim %d or rope theta %g", plain.HeadDim, plain.RopeTheta)
	}
	p, s := plain.RoPEInvFreq(), scaled.RoPEInvFreq()
	for i := range div {
		want := float64(p[i]) / float64(s[i])
		if d := float64(div[i]); !(d > 0) || abs64(d-want) > 1e-4*want {
			return fmt.Errorf("llama: gguf: rope_freqs divisor %d = %g does not match llama3 scaling %+v (want %g)", i, d, *r, want)
		}
	}
	c.RopeScaling = r
	return nil
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
