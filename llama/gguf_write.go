package llama

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/kernels"
	"github.com/popi-go/popi/tensor"
)

// GGUFWriteOptions controls WriteGGUF.
type GGUFWriteOptions struct {
	// WeightType is the stored type of the matrices: "" or "auto" keeps each
	// matrix's in-memory type; "f32", "bf16" or "f16" convert (16-bit targets
	// round to nearest even); "q8_0", "q4_0" or "q4_k_m" quantize with
	// llama.cpp's reference quantizers and type mix (QuantMix), the bytes
	// llama-quantize writes from the same values. Norm weights and rope_freqs
	// are always F32, as llama.cpp's converter stores 1-D tensors.
	WeightType string
	// Name is general.name (default "popi-go").
	Name string
	// ChatTemplate, if not empty, is stored as tokenizer.chat_template.
	ChatTemplate string
	// EOSToken is the text of the token stored as tokenizer.ggml.eos_token_id
	// (e.g. "<|eot_id|>"). Empty: <|eot_id|> if it is one of the config's EOS
	// ids, else the config's first EOS id, else no eos key.
	EOSToken string
}

// ggufTensorOut is one tensor to be written: GGUF name, GGUF dims (fastest
// first), stored type, and a function that writes its rows.
type ggufTensorOut struct {
	name  string
	dims  []uint64
	dtype tensor.DType
	size  int64
	write func(w io.Writer) error
}

// ggmlTypeID is the ggml type id of a stored dtype.
func ggmlTypeID(dt tensor.DType) uint32 {
	switch dt {
	case tensor.F16:
		return ggmlF16
	case tensor.BF16:
		return ggmlBF16
	case tensor.Q8_0:
		return ggmlQ8_0
	case tensor.Q4_0:
		return ggmlQ4_0
	case tensor.Q4_K:
		return ggmlQ4_K
	case tensor.Q6_K:
		return ggmlQ6_K
	}
	return ggmlF32
}

// WriteGGUF atomically writes m and its tokenizer as a GGUF v3 file for
// llama.cpp (general.architecture = llama): llama.* hyper-parameters, the
// tokenizer as gpt2 byte-level BPE with the llama-bpe pre-tokenizer, llama3
// RoPE scaling as the rope_freqs.weight tensor of per-frequency divisors,
// tensors under llama.cpp names with 32-byte aligned data, and the rows of
// every attn_q / attn_k matrix permuted into llama.cpp's interleaved-pair
// RoPE layout (the inverse of what OpenGGUFTensors undoes). Tied models get
// no output.weight. The tokenizer may have fewer ids than the model's vocab:
// missing ids are written as unused "[PADn]" tokens.
func WriteGGUF(path string, m *Model, tok *Tokenizer, opts GGUFWriteOptions) error {
	if err := writeGGUF(path, m, tok, opts); err != nil {
		return fmt.Errorf("llama: write gguf: %w", err)
	}
	return nil
}

func writeGGUF(path string, m *Model, tok *Tokenizer, opts GGUFWriteOptions) error {
	enc, err := ggufEncoder(m, tok, opts)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(f *os.File) error { return enc(f) })
}

// ggufEncoder checks m and tok and returns the function that writes their GGUF image.
func ggufEncoder(m *Model, tok *Tokenizer, opts GGUFWriteOptions) (func(io.Writer) error, error) {
	if m == nil || m.Config == nil {
		return nil, fmt.Errorf("nil model")
	}
	if tok == nil {
		return nil, fmt.Errorf("a tokenizer is required (llama.cpp cannot load a model without a vocabulary)")
	}
	mix, quant := quantMixes[strings.ToLower(opts.WeightType)]
	target, force, err := LoadOptions{WeightType: opts.WeightType}.target()
	if err != nil {
		return nil, err
	}
	cfg := m.Config
	d, err := configDims(cfg)
	if err != nil {
		return nil, err
	}
	if d != m.dims {
		return nil, fmt.Errorf("model sizes do not match its config")
	}
	if cfg.MaxPositions <= 0 {
		return nil, fmt.Errorf("config has no max_position_embeddings (llama.context_length is required)")
	}
	if tok.VocabSize() > cfg.Vocab {
		return nil, fmt.Errorf("tokenizer has %d ids, model vocabulary only %d", tok.VocabSize(), cfg.Vocab)
	}

	// Tensors, in the order llama.cpp's converter writes a llama model.
	var tensors []ggufTensorOut
	stored := map[tensor.DType]bool{}
	addMatrix := func(name string, w *Matrix, heads int) error {
		rows, cols := w.Rows, w.Cols
		if w.DType.IsQuant() {
			if len(w.Q) != rows*w.rowBytes() {
				return fmt.Errorf("tensor %s: %d bytes of %v for shape [%d %d]", name, len(w.Q), w.DType, rows, cols)
			}
		} else if n := rows * cols; len(w.F32)+len(w.U16) != n {
			return fmt.Errorf("tensor %s: %d values for shape [%d %d]", name, len(w.F32)+len(w.U16), rows, cols)
		}
		if heads > 0 && rows%(2*heads) != 0 {
			return fmt.Errorf("tensor %s: %d rows cannot hold %d heads", name, rows, heads)
		}
		dt := w.DType
		if force {
			dt = target
		}
		if quant {
			role, layer := ggufRole(name)
			dt = mix.typeFor(role, layer, d.layers, cols, d.tied)
		}
		if dt.IsQuant() && cols%dt.BlockSize() != 0 {
			return fmt.Errorf("tensor %s: %d columns are not whole %v blocks", name, cols, dt)
		}
		stored[dt] = true
		tensors = append(tensors, ggufTensorOut{
			name: name, dims: []uint64{uint64(cols), uint64(rows)}, dtype: dt,
			size:  dt.Bytes(int64(rows) * int64(cols)),
			write: func(out io.Writer) error { return writeMatrixRows(out, w, dt, heads) },
		})
		return nil
	}
	addF32 := func(name string, v []float32) {
		tensors = append(tensors, ggufTensorOut{
			name: name, dims: []uint64{uint64(len(v))}, dtype: tensor.F32, size: 4 * int64(len(v)),
			write: func(out io.Writer) error { return writeF32s(out, v) },
		})
	}
	if len(m.Layers) != d.layers || len(m.Norm) != d.hidden {
		return nil, fmt.Errorf("model has %d layers / norm of %d, config says %d / %d", len(m.Layers), len(m.Norm), d.layers, d.hidden)
	}
	if err := checkShape("token_embd.weight", &m.Embed, d.vocab, d.hidden); err != nil {
		return nil, err
	}
	if err := addMatrix("token_embd.weight", &m.Embed, 0); err != nil {
		return nil, err
	}
	addF32("output_norm.weight", m.Norm)
	if !d.tied {
		if m.LMHead == nil {
			return nil, fmt.Errorf("untied model without lm_head")
		}
		if err := checkShape("output.weight", m.LMHead, d.vocab, d.hidden); err != nil {
			return nil, err
		}
		if err := addMatrix("output.weight", m.LMHead, 0); err != nil {
			return nil, err
		}
	}
	if cfg.RopeScaling != nil {
		div := llama3RopeDivisors(cfg)
		if err := checkRopeRecoverable(cfg, div); err != nil {
			return nil, err
		}
		addF32("rope_freqs.weight", div)
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		p := fmt.Sprintf("blk.%d.", i)
		if len(l.AttnNorm) != d.hidden || len(l.MLPNorm) != d.hidden {
			return nil, fmt.Errorf("layer %d: norm weights of %d/%d values, want %d", i, len(l.AttnNorm), len(l.MLPNorm), d.hidden)
		}
		addF32(p+"attn_norm.weight", l.AttnNorm)
		for _, mt := range []struct {
			name       string
			w          *Matrix
			rows, cols int
			heads      int
		}{
			{"attn_q", &l.Q, d.qDim, d.hidden, d.heads},
			{"attn_k", &l.K, d.kvDim, d.hidden, d.kvHeads},
			{"attn_v", &l.V, d.kvDim, d.hidden, 0},
			{"attn_output", &l.O, d.hidden, d.qDim, 0},
		} {
			if err := checkShape(p+mt.name+".weight", mt.w, mt.rows, mt.cols); err != nil {
				return nil, err
			}
			if err := addMatrix(p+mt.name+".weight", mt.w, mt.heads); err != nil {
				return nil, err
			}
		}
		addF32(p+"ffn_norm.weight", l.MLPNorm)
		for _, mt := range []struct {
			name       string
			w          *Matrix
			rows, cols int
		}{
			{"ffn_gate", &l.Gate, d.inter, d.hidden},
			{"ffn_up", &l.Up, d.inter, d.hidden},
			{"ffn_down", &l.Down, d.hidden, d.inter},
		} {
			if err := checkShape(p+mt.name+".weight", mt.w, mt.rows, mt.cols); err != nil {
				return nil, err
			}
			if err := addMatrix(p+mt.name+".weight", mt.w, 0); err != nil {
				return nil, err
			}
		}
	}
	anyQuant := stored[tensor.Q8_0] || stored[tensor.Q4_0] || stored[tensor.Q4_K] || stored[tensor.Q6_K]
	if len(stored) != 1 && !anyQuant {
		return nil, fmt.Errorf("mixed matrix types (%d kinds); set WeightType to store one type", len(stored))
	}
	fileType := uint32(0) // LLAMA_FTYPE_ALL_F32
	switch {
	case quant:
		fileType = mix.fileType()
	case stored[tensor.Q4_K]:
		fileType = MixQ4_KM.fileType()
	case stored[tensor.Q4_0]:
		fileType = MixQ4_0.fileType()
	case stored[tensor.Q8_0], stored[tensor.Q6_K]:
		fileType = MixQ8_0.fileType()
	case stored[tensor.F16]:
		fileType = 1 // MOSTLY_F16
	case stored[tensor.BF16]:
		fileType = 32 // MOSTLY_BF16
	}

	kv, err := ggufMetadata(m, tok, opts, fileType)
	if err != nil {
		return nil, err
	}
	return func(w io.Writer) error { return encodeGGUF(w, kv, tensors) }, nil
}

func checkShape(name string, w *Matrix, rows, cols int) error {
	if w.Rows != rows || w.Cols != cols {
		return fmt.Errorf("tensor %s has shape [%d %d], want [%d %d]", name, w.Rows, w.Cols, rows, cols)
	}
	switch w.DType {
	case tensor.F32:
		if len(w.F32) != rows*cols {
			return fmt.Errorf("tensor %s: %d f32 values, want %d", name, len(w.F32), rows*cols)
		}
	case tensor.BF16, tensor.F16:
		if len(w.U16) != rows*cols {
			return fmt.Errorf("tensor %s: %d 16-bit values, want %d", name, len(w.U16), rows*cols)
		}
	case tensor.Q8_0, tensor.Q4_0, tensor.Q4_K, tensor.Q6_K:
		if cols%w.DType.BlockSize() != 0 || len(w.Q) != rows*w.rowBytes() {
			return fmt.Errorf("tensor %s: %d bytes of %v, want %d rows of %d values", name, len(w.Q), w.DType, rows, cols)
		}
	default:
		return fmt.Errorf("tensor %s: unsupported in-memory type %v", name, w.DType)
	}
	return nil
}

// llama3RopeDivisors returns, per rotary frequency, the plain inverse
// frequency divided by the llama3-scaled one: 1 above the high-frequency
// band, the scaling factor below the low-frequency band, and the smooth
// interpolation 1/((1-s)/factor + s) in between, s = (L/wavelength - low)/(high - low)
// with L the original context length. The inverse frequencies are the float32
// ones of RoPEInvFreq; the band arithmetic is float64, rounded once (this
// reproduces the divisors of llama.cpp's converter bit for bit).
func llama3RopeDivisors(c *Config) []float32 {
	plain := *c
	plain.RopeScaling = nil
	inv := plain.RoPEInvFreq()
	r := c.RopeScaling
	old := float64(r.OriginalMaxPositions)
	lowWave := old / r.LowFreqFactor
	highWave := old / r.HighFreqFactor
	out := make([]float32, len(inv))
	for i, f := range inv {
		wave := 2 * math.Pi / float64(f)
		switch {
		case wave < highWave:
			out[i] = 1
		case wave > lowWave:
			out[i] = float32(r.Factor)
		default:
			s := (old/wave - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
			out[i] = float32(1 / ((1-s)/r.Factor + s))
		}
	}
	return out
}

// checkRopeRecoverable verifies that a reader of the file can recover llama3
// scaling parameters reproducing the divisors. llama.cpp applies the
// divisors as they are, but the hyper-parameters themselves are not stored
// (llama.rope.scaling.factor would make llama.cpp scale positions linearly on
// top); readers, ours included (GGUF.Config), assume low/high frequency
// factors 1 and 4, take the factor as the largest divisor and the original
// context from llama.rope.scaling.original_context_length (default 8192).
func checkRopeRecoverable(c *Config, div []float32) error {
	f := 1.0
	for _, d := range div {
		f = max(f, float64(d))
	}
	guess := *c
	guess.RopeScaling = &RopeScaling{Type: "llama3", Factor: f, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: c.RopeScaling.OriginalMaxPositions}
	for i, d := range llama3RopeDivisors(&guess) {
		if math.Abs(float64(d-div[i])) > 1e-5*float64(div[i]) {
			return fmt.Errorf("llama3 rope scaling %+v cannot be stored: GGUF keeps only the per-frequency divisors, and readers assume low/high frequency factors 1 and 4 with the largest divisor as factor", *c.RopeScaling)
		}
	}
	return nil
}

// permutedRow maps a stored (llama.cpp) row to its HF row: within each head
// of hd rows, stored row 2j+s holds HF row s*hd/2 + j.
func permutedRow(r, hd int) int {
	h, k := r/hd, r%hd
	return h*hd + (k%2)*(hd/2) + k/2
}

// writeMatrixRows writes w's rows in stored order as dt, applying the Q/K
// row permutation when heads > 0.
func writeMatrixRows(out io.Writer, w *Matrix, dt tensor.DType, heads int) error {
	rows, cols := w.Rows, w.Cols
	hd := 0
	if heads > 0 {
		hd = rows / heads
	}
	if dt.IsQuant() {
		return writeQuantRows(out, w, dt, hd)
	}
	elem := int(dt.Bytes(1))
	buf := make([]byte, cols*elem)
	f32 := make([]float32, cols)
	u16 := make([]uint16, cols)
	le := binary.LittleEndian
	for r := 0; r < rows; r++ {
		src := r
		if hd > 0 {
			src = permutedRow(r, hd)
		}
		switch {
		case dt == w.DType && dt != tensor.F32:
			for j, v := range w.U16[src*cols : (src+1)*cols] {
				le.PutUint16(buf[2*j:], v)
			}
		default:
			w.Row(src, f32)
			switch dt {
			case tensor.F32:
				for j, v := range f32 {
					le.PutUint32(buf[4*j:], math.Float32bits(v))
				}
			case tensor.BF16, tensor.F16:
				dt.FromF32(u16, f32)
			default:
				return fmt.Errorf("cannot store %v", dt)
			}
			if dt != tensor.F32 {
				for j, v := range u16 {
					le.PutUint16(buf[2*j:], v)
				}
			}
		}
		if _, err := out.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// writeQuantRows writes w's rows in stored order (Q/K permuted when
// hd > 0) as blocks of dt: the stored bytes when w already is dt, else
// each row widened and quantized (llama.cpp's reference quantizer).
func writeQuantRows(out io.Writer, w *Matrix, dt tensor.DType, hd int) error {
	rb := int(dt.Bytes(int64(w.Cols)))
	buf := make([]byte, rb)
	row := make([]float32, w.Cols)
	for r := 0; r < w.Rows; r++ {
		src := r
		if hd > 0 {
			src = permutedRow(r, hd)
		}
		if w.DType == dt {
			copy(buf, w.Q[src*rb:(src+1)*rb])
		} else {
			w.Row(src, row)
			kernels.QuantizeRow(dt.Quant(), buf, row)
		}
		if _, err := out.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// ggufRole returns the llama.cpp role of a GGUF tensor name ("token_embd",
// "output", or the block part such as "attn_v") and its layer.
func ggufRole(name string) (string, int) {
	if m := ggufBlockName.FindStringSubmatch(name); m != nil {
		l, _ := strconv.Atoi(m[1])
		return m[2], l
	}
	return strings.TrimSuffix(name, ".weight"), 0
}

func writeF32s(out io.Writer, v []float32) error {
	buf := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	_, err := out.Write(buf)
	return err
}

// ggufKV is one metadata entry; value is a string, bool, uint32, int32,
// float32, []string or []int32.
type ggufKV struct {
	key   string
	value any
}

// ggufMetadata builds the metadata llama.cpp reads for a llama model.
func ggufMetadata(m *Model, tok *Tokenizer, opts GGUFWriteOptions, fileType uint32) ([]ggufKV, error) {
	c := m.Config
	d := m.dims
	name := opts.Name
	if name == "" {
		name = "popi-go"
	}
	u := func(v int) uint32 { return uint32(v) }
	kv := []ggufKV{
		{"general.architecture", "llama"},
		{"general.name", name},
		{"llama.block_count", u(d.layers)},
		{"llama.context_length", u(c.MaxPositions)},
		{"llama.embedding_length", u(d.hidden)},
		{"llama.feed_forward_length", u(d.inter)},
		{"llama.attention.head_count", u(d.heads)},
		{"llama.attention.head_count_kv", u(d.kvHeads)},
		{"llama.rope.freq_base", float32(c.RopeTheta)},
		{"llama.attention.layer_norm_rms_epsilon", float32(c.RMSNormEps)},
		{"llama.attention.key_length", u(d.headDim)},
		{"llama.attention.value_length", u(d.headDim)},
		{"general.file_type", fileType},
		{"llama.vocab_size", u(d.vocab)},
		{"llama.rope.dimension_count", u(d.headDim)},
	}
	if fileType == 2 || fileType == 7 || fileType == 15 {
		kv = append(kv, ggufKV{"general.quantization_version", uint32(2)}) // as llama-quantize writes
	}
	if r := c.RopeScaling; r != nil && r.OriginalMaxPositions != 8192 {
		// Read by llama.cpp only for YaRN; tells readers the llama3 band edges.
		kv = append(kv, ggufKV{"llama.rope.scaling.original_context_length", u(r.OriginalMaxPositions)})
	}
	tokens := make([]string, d.vocab)
	types := make([]int32, d.vocab)
	for id := range tokens {
		b := tok.Token(id)
		switch {
		case b == nil:
			tokens[id] = fmt.Sprintf("[PAD%d]", id)
			types[id] = 5 // unused
		case tok.IsSpecial(id):
			tokens[id] = string(b)
			types[id] = 3 // control
		default:
			tokens[id] = byteLevelEncode(b)
			types[id] = 1 // normal
		}
	}
	pairs, err := tok.mergesForJSON()
	if err != nil {
		return nil, fmt.Errorf("tokenizer merges: %w", err)
	}
	merges := make([]string, len(pairs))
	for i, p := range pairs {
		if strings.Contains(p[0], " ") || strings.Contains(p[1], " ") {
			return nil, fmt.Errorf("merge %q cannot be written with a space separator", p)
		}
		merges[i] = p[0] + " " + p[1]
	}
	kv = append(kv,
		ggufKV{"tokenizer.ggml.model", "gpt2"},
		ggufKV{"tokenizer.ggml.pre", "llama-bpe"},
		ggufKV{"tokenizer.ggml.tokens", tokens},
		ggufKV{"tokenizer.ggml.token_type", types},
		ggufKV{"tokenizer.ggml.merges", merges},
	)
	if c.BOS >= 0 {
		if c.BOS >= d.vocab {
			return nil, fmt.Errorf("bos id %d outside the vocabulary of %d", c.BOS, d.vocab)
		}
		kv = append(kv, ggufKV{"tokenizer.ggml.bos_token_id", u(c.BOS)})
	}
	eos := -1
	if opts.EOSToken != "" {
		id, ok := tok.SpecialID(opts.EOSToken)
		if !ok {
			return nil, fmt.Errorf("EOS token %q is not a special token of the tokenizer", opts.EOSToken)
		}
		eos = id
	} else if len(c.EOS) > 0 {
		eos = c.EOS[0]
		if eot, ok := tok.SpecialID("<|eot_id|>"); ok && c.IsEOS(eot) {
			eos = eot
		}
	}
	if eos >= d.vocab {
		return nil, fmt.Errorf("eos id %d outside the vocabulary of %d", eos, d.vocab)
	}
	if eos >= 0 {
		kv = append(kv, ggufKV{"tokenizer.ggml.eos_token_id", u(eos)})
	}
	if c.BOS >= 0 {
		kv = append(kv, ggufKV{"tokenizer.ggml.add_bos_token", true})
	}
	if opts.ChatTemplate != "" {
		kv = append(kv, ggufKV{"tokenizer.chat_template", opts.ChatTemplate})
	}
	return kv, nil
}

// encodeGGUF writes the header, metadata, tensor directory and aligned data.
func encodeGGUF(f io.Writer, kv []ggufKV, tensors []ggufTensorOut) error {
	w := &countingWriter{w: bufio.NewWriterSize(f, 1<<20)}
	le := binary.LittleEndian
	u32 := func(v uint32) { var b [4]byte; le.PutUint32(b[:], v); w.Write(b[:]) }
	u64 := func(v uint64) { var b [8]byte; le.PutUint64(b[:], v); w.Write(b[:]) }
	str := func(s string) { u64(uint64(len(s))); io.WriteString(w, s) }
	u32(ggufMagic)
	u32(3)
	u64(uint64(len(tensors)))
	u64(uint64(len(kv)))
	for _, e := range kv {
		str(e.key)
		switch v := e.value.(type) {
		case string:
			u32(ggufString)
			str(v)
		case bool:
			u32(ggufBool)
			b := byte(0)
			if v {
				b = 1
			}
			w.Write([]byte{b})
		case uint32:
			u32(ggufUint32)
			u32(v)
		case int32:
			u32(ggufInt32)
			u32(uint32(v))
		case float32:
			u32(ggufFloat32)
			u32(math.Float32bits(v))
		case []string:
			u32(ggufArray)
			u32(ggufString)
			u64(uint64(len(v)))
			for _, s := range v {
				str(s)
			}
		case []int32:
			u32(ggufArray)
			u32(ggufInt32)
			u64(uint64(len(v)))
			for _, x := range v {
				u32(uint32(x))
			}
		default:
			return fmt.Errorf("metadata %s: unsupported value type %T", e.key, e.value)
		}
	}
	const align = ggufDefaultAlignment
	pad := func(n int64) int64 { return (n + align - 1) / align * align }
	var off int64
	for _, t := range tensors {
		str(t.name)
		u32(uint32(len(t.dims)))
		for _, dim := range t.dims {
			u64(dim)
		}
		u32(ggmlTypeID(t.dtype))
		u64(uint64(off))
		off = pad(off + t.size)
	}
	zeros := make([]byte, align)
	w.Write(zeros[:pad(w.n)-w.n])
	start := w.n
	for _, t := range tensors {
		if err := t.write(w); err != nil {
			return fmt.Errorf("tensor %s: %w", t.name, err)
		}
		end := w.n - start
		if want := pad(end) - end; want > 0 {
			w.Write(zeros[:want])
		}
	}
	if w.err != nil {
		return w.err
	}
	return w.w.(*bufio.Writer).Flush()
}

// countingWriter counts bytes and keeps the first error, so the encoder can
// write without checking every call.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
