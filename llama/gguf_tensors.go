package llama

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/popi-go/popi/tensor"
)

// GGUFTensors is a GGUF file seen as a TensorSet: HF names, HF shapes, and the HF row order
// for q_proj/k_proj (llama.cpp's interleaved-pair RoPE permutation undone).
type GGUFTensors struct {
	g       *GGUF
	cfg     *Config
	toGGUF  map[string]string // HF name -> GGUF name
	permute map[string]int    // HF name -> number of heads whose rows are permuted
	names   []string
}

var ggufBlockName = regexp.MustCompile(`^blk\.(\d+)\.([a-z_]+)\.weight$`)

var ggufBlockMap = map[string]string{
	"attn_norm":   "input_layernorm.weight",
	"attn_q":      "self_attn.q_proj.weight",
	"attn_k":      "self_attn.k_proj.weight",
	"attn_v":      "self_attn.v_proj.weight",
	"attn_output": "self_attn.o_proj.weight",
	"ffn_norm":    "post_attention_layernorm.weight",
	"ffn_gate":    "mlp.gate_proj.weight",
	"ffn_up":      "mlp.up_proj.weight",
	"ffn_down":    "mlp.down_proj.weight",
}

// GGUFToHFName maps a llama.cpp tensor name to its Hugging Face name. rope_freqs.weight maps
// to "" with ok=true (it is derived data, not a parameter). Unknown names give ok=false.
func GGUFToHFName(name string) (hf string, ok bool) {
	switch name {
	case "token_embd.weight":
		return "model.embed_tokens.weight", true
	case "output_norm.weight":
		return "model.norm.weight", true
	case "output.weight":
		return "lm_head.weight", true
	case "rope_freqs.weight":
		return "", true
	}
	m := ggufBlockName.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	suffix, ok := ggufBlockMap[m[2]]
	if !ok {
		return "", false
	}
	layer, err := strconv.Atoi(m[1])
	if err != nil || strconv.Itoa(layer) != m[1] {
		return "", false
	}
	return "model.layers." + m[1] + "." + suffix, true
}

// OpenGGUFTensors opens a llama-architecture GGUF file as a TensorSet with HF names.
func OpenGGUFTensors(path string) (TensorFile, error) {
	g, err := OpenGGUF(path)
	if err != nil {
		return nil, err
	}
	t, err := NewGGUFTensors(g)
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

// NewGGUFTensors wraps a parsed GGUF. The file must be general.architecture = llama; its
// Config is derived from the llama.* metadata (see GGUF.Config).
func NewGGUFTensors(g *GGUF) (*GGUFTensors, error) {
	cfg, err := g.Config()
	if err != nil {
		return nil, err
	}
	t := &GGUFTensors{g: g, cfg: cfg, toGGUF: map[string]string{}, permute: map[string]int{}}
	for _, ti := range g.Tensors {
		hf, ok := GGUFToHFName(ti.Name)
		if !ok {
			return nil, fmt.Errorf("llama: gguf: unsupported tensor %q", ti.Name)
		}
		if hf == "" {
			continue
		}
		if len(ti.Dims) > 2 {
			return nil, fmt.Errorf("llama: gguf: tensor %q has %d dims, want 1 or 2", ti.Name, len(ti.Dims))
		}
		t.toGGUF[hf] = ti.Name
		t.names = append(t.names, hf)
		m := ggufBlockName.FindStringSubmatch(ti.Name)
		if m != nil && (m[2] == "attn_q" || m[2] == "attn_k") {
			heads := cfg.Heads
			if m[2] == "attn_k" {
				heads = cfg.KVHeads
			}
			rows := uint64(1)
			if len(ti.Dims) == 2 {
				rows = ti.Dims[1]
			}
			if len(ti.Dims) != 2 || rows%uint64(2*heads) != 0 {
				return nil, fmt.Errorf("llama: gguf: tensor %q shape %v cannot hold %d heads", ti.Name, ti.Dims, heads)
			}
			t.permute[hf] = heads
		}
	}
	sort.Strings(t.names)
	return t, nil
}

// GGUF returns the underlying file.
func (t *GGUFTensors) GGUF() *GGUF { return t.g }

// Config returns the model configuration derived from the GGUF metadata.
func (t *GGUFTensors) Config() *Config { c := *t.cfg; return &c }

// Names returns the HF tensor names, sorted.
func (t *GGUFTensors) Names() []string { return append([]string(nil), t.names...) }

// Info returns the dtype and HF-order shape of a tensor.
func (t *GGUFTensors) Info(name string) (tensor.DType, []int, bool) {
	gn, ok := t.toGGUF[name]
	if !ok {
		return 0, nil, false
	}
	ti, _ := t.g.Tensor(gn)
	shape := make([]int, len(ti.Dims))
	for i, d := range ti.Dims {
		shape[len(shape)-1-i] = int(d)
	}
	return ti.DType, shape, true
}

// unpermuteRows undoes llama.cpp's Q/K row permutation in place: within each head of
// hd = rows/heads rows, stored row 2j+t holds HF row t*hd/2+j.
func unpermuteRows[T any](x []T, rows, cols, heads int) {
	hd := rows / heads
	half := hd / 2
	tmp := make([]T, hd*cols)
	for h := 0; h < heads; h++ {
		blk := x[h*hd*cols : (h+1)*hd*cols]
		copy(tmp, blk)
		for j := 0; j < half; j++ {
			for s := 0; s < 2; s++ {
				copy(blk[(s*half+j)*cols:(s*half+j+1)*cols], tmp[(2*j+s)*cols:(2*j+s+1)*cols])
			}
		}
	}
}

func (t *GGUFTensors) lookup(name string) (GGUFTensorInfo, error) {
	gn, ok := t.toGGUF[name]
	if !ok {
		return GGUFTensorInfo{}, fmt.Errorf("llama: gguf: no tensor %q", name)
	}
	ti, _ := t.g.Tensor(gn)
	return ti, nil
}

// ReadF32 returns the tensor widened (or Q8_0-dequantized) to float32 in HF layout.
func (t *GGUFTensors) ReadF32(name string) ([]float32, error) {
	ti, err := t.lookup(name)
	if err != nil {
		return nil, err
	}
	out, err := readF32At(t.g.r, ti.Offset, ti.DType, ti.n)
	if err != nil {
		return nil, fmt.Errorf("llama: gguf: reading %q: %w", name, err)
	}
	if heads, ok := t.permute[name]; ok {
		unpermuteRows(out, int(ti.Dims[1]), int(ti.Dims[0]), heads)
	}
	return out, nil
}

// ReadU16 returns the raw bits of an F16 or BF16 tensor in HF layout.
func (t *GGUFTensors) ReadU16(name string) ([]uint16, tensor.DType, error) {
	ti, err := t.lookup(name)
	if err != nil {
		return nil, 0, err
	}
	if ti.DType != tensor.BF16 && ti.DType != tensor.F16 {
		return nil, ti.DType, fmt.Errorf("llama: gguf: tensor %q is %s, not a 16-bit type", name, ti.DType)
	}
	out, err := readU16At(t.g.r, ti.Offset, ti.n)
	if err != nil {
		return nil, 0, fmt.Errorf("llama: gguf: reading %q: %w", name, err)
	}
	if heads, ok := t.permute[name]; ok {
		unpermuteRows(out, int(ti.Dims[1]), int(ti.Dims[0]), heads)
	}
	return out, ti.DType, nil
}

// ReadQuant reads the blocks of a quantized tensor (Q8_0, Q4_0, Q4_K, Q6_K)
// as stored into dst (exactly its size), in HF row order: the only change
// made is undoing llama.cpp's Q/K row permutation, whole rows of blocks at
// a time. Every block scale must be finite.
func (t *GGUFTensors) ReadQuant(name string, dst []byte) error {
	ti, err := t.lookup(name)
	if err != nil {
		return err
	}
	if !ti.DType.IsQuant() || ti.DType == tensor.Q8_K {
		return fmt.Errorf("llama: gguf: tensor %q is %s, not a quantized weight type", name, ti.DType)
	}
	if int64(len(dst)) != ti.Size {
		return fmt.Errorf("llama: gguf: tensor %q has %d bytes, buffer %d", name, ti.Size, len(dst))
	}
	if _, err := t.g.r.ReadAt(dst, ti.Offset); err != nil {
		return fmt.Errorf("llama: gguf: reading %q: %w", name, err)
	}
	if err := checkQuantScales(ti.DType, dst); err != nil {
		return fmt.Errorf("llama: gguf: tensor %q: %w", name, err)
	}
	if heads, ok := t.permute[name]; ok {
		rows := int(ti.Dims[1])
		unpermuteRowBytes(dst, rows, len(dst)/rows, heads)
	}
	return nil
}

// unpermuteRowBytes is unpermuteRows on rows of rb bytes.
func unpermuteRowBytes(x []byte, rows, rb, heads int) {
	unpermuteRows(x, rows, rb, heads)
}

// checkQuantScales reports an error if a block scale (d, and Q4_K's dmin)
// is an f16 Inf or NaN (the values would not be finite).
func checkQuantScales(dt tensor.DType, b []byte) error {
	var offs []int
	switch dt {
	case tensor.Q8_0, tensor.Q4_0:
		offs = []int{0}
	case tensor.Q4_K:
		offs = []int{0, 2}
	case tensor.Q6_K:
		offs = []int{208}
	}
	bb := dt.BlockBytes()
	for i := 0; i+bb <= len(b); i += bb {
		for _, o := range offs {
			if b[i+o+1]&0x7c == 0x7c { // f16 exponent all ones
				return fmt.Errorf("block %d has a scale that is Inf or NaN", i/bb)
			}
		}
	}
	return nil
}

// Close releases the file.
func (t *GGUFTensors) Close() error { return t.g.Close() }
