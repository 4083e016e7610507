package llama

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/popi-go/popi/tensor"
)

func TestGGUFMatchesSafetensors(t *testing.T) {
	gt, err := OpenTensors(filepath.Join(tinyDir, "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer gt.Close()
	st, err := OpenTensors(filepath.Join(tinyDir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !reflect.DeepEqual(gt.Names(), st.Names()) {
		t.Fatalf("names differ:\n%v\n%v", gt.Names(), st.Names())
	}
	for _, n := range st.Names() {
		d1, s1, _ := st.Info(n)
		d2, s2, _ := gt.Info(n)
		if d1 != d2 || !reflect.DeepEqual(s1, s2) {
			t.Fatalf("%s: %v%v vs %v%v", n, d1, s1, d2, s2)
		}
		a, _ := st.ReadF32(n)
		b, err := gt.ReadF32(n)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s[%d]: %g vs %g", n, i, a[i], b[i])
			}
		}
	}
	// the permutation matters: raw GGUF q rows differ from HF rows
	g := gt.(*GGUFTensors).GGUF()
	raw, _ := g.ReadRaw("blk.0.attn_q.weight")
	hf, _ := st.ReadF32("model.layers.0.self_attn.q_proj.weight")
	if reflect.DeepEqual(decodeF32(tensor.F32, raw, len(hf)), hf) {
		t.Fatal("expected permuted rows in the GGUF file")
	}
}

func TestGGUFConfig(t *testing.T) {
	g, err := OpenGGUF(filepath.Join(tinyDir, "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Version != 3 {
		t.Fatalf("version %d", g.Version)
	}
	c, err := g.Config()
	if err != nil {
		t.Fatal(err)
	}
	hf, _ := LoadConfig(filepath.Join(tinyDir, "config.json"))
	// eos 383 plus <|end_of_text|> 377 found by name gives HF's [377, 383]; no torch dtype.
	hf.TorchDType = ""
	if !reflect.DeepEqual(c, hf) {
		t.Fatalf("gguf config %+v\nhf %+v", c, hf)
	}
	if !reflect.DeepEqual(c.RoPEInvFreq(), hf.RoPEInvFreq()) {
		t.Fatal("inv freq differ")
	}
	if s, _ := g.String("tokenizer.ggml.pre"); s != "llama-bpe" {
		t.Fatal(s)
	}
	if b, ok := g.Bool("tokenizer.ggml.add_bos_token"); !ok || !b {
		t.Fatal("add_bos_token")
	}
	if tt, ok := g.Ints("tokenizer.ggml.token_type"); !ok || len(tt) != 384 || tt[376] != 3 || tt[0] != 1 {
		t.Fatal("token_type")
	}
}

// ggufBuilder writes GGUF images for tests.
type ggufBuilder struct {
	version uint32
	kv      bytes.Buffer
	nkv     int
	infos   bytes.Buffer
	data    bytes.Buffer
	nt      int
	align   int
}

func newGGUFBuilder(version uint32) *ggufBuilder { return &ggufBuilder{version: version, align: 32} }

func putStr(b *bytes.Buffer, s string) {
	binary.Write(b, binary.LittleEndian, uint64(len(s)))
	b.WriteString(s)
}

func (g *ggufBuilder) kvRaw(key string, typ uint32, payload func(b *bytes.Buffer)) {
	putStr(&g.kv, key)
	binary.Write(&g.kv, binary.LittleEndian, typ)
	payload(&g.kv)
	g.nkv++
}

func (g *ggufBuilder) str(key, v string) {
	g.kvRaw(key, ggufString, func(b *bytes.Buffer) { putStr(b, v) })
}

func (g *ggufBuilder) u32(key string, v uint32) {
	g.kvRaw(key, ggufUint32, func(b *bytes.Buffer) { binary.Write(b, binary.LittleEndian, v) })
}

func (g *ggufBuilder) f32(key string, v float32) {
	g.kvRaw(key, ggufFloat32, func(b *bytes.Buffer) { binary.Write(b, binary.LittleEndian, v) })
}

func (g *ggufBuilder) strs(key string, v []string) {
	g.kvRaw(key, ggufArray, func(b *bytes.Buffer) {
		binary.Write(b, binary.LittleEndian, uint32(ggufString))
		binary.Write(b, binary.LittleEndian, uint64(len(v)))
		for _, s := range v {
			putStr(b, s)
		}
	})
}

func (g *ggufBuilder) i32s(key string, v []int32) {
	g.kvRaw(key, ggufArray, func(b *bytes.Buffer) {
		binary.Write(b, binary.LittleEndian, uint32(ggufInt32))
		binary.Write(b, binary.LittleEndian, uint64(len(v)))
		binary.Write(b, binary.LittleEndian, v)
	})
}

func (g *ggufBuilder) tensor(name string, dims []uint64, ggmlType uint32, data []byte) {
	for g.data.Len()%g.align != 0 {
		g.data.WriteByte(0)
	}
	putStr(&g.infos, name)
	binary.Write(&g.infos, binary.LittleEndian, uint32(len(dims)))
	binary.Write(&g.infos, binary.LittleEndian, dims)
	binary.Write(&g.infos, binary.LittleEndian, ggmlType)
	binary.Write(&g.infos, binary.LittleEndian, uint64(g.data.Len()))
	g.data.Write(data)
	g.nt++
}

func (g *ggufBuilder) bytes() []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint32(ggufMagic))
	binary.Write(&b, binary.LittleEndian, g.version)
	binary.Write(&b, binary.LittleEndian, uint64(g.nt))
	binary.Write(&b, binary.LittleEndian, uint64(g.nkv))
	b.Write(g.kv.Bytes())
	b.Write(g.infos.Bytes())
	for b.Len()%g.align != 0 {
		b.WriteByte(0)
	}
	b.Write(g.data.Bytes())
	return b.Bytes()
}

// smallLlamaGGUF: hidden 64, 2 heads (head dim 32), 1 kv head, 1 layer, vocab 4, with
// the given q_proj encoding; other weights F32.
func smallLlamaGGUF(version uint32, qType uint32, qData []byte) []byte {
	g := newGGUFBuilder(version)
	g.str("general.architecture", "llama")
	g.u32("llama.embedding_length", 64)
	g.u32("llama.feed_forward_length", 32)
	g.u32("llama.block_count", 1)
	g.u32("llama.attention.head_count", 2)
	g.u32("llama.attention.head_count_kv", 1)
	g.f32("llama.attention.layer_norm_rms_epsilon", 1e-6)
	g.f32("llama.rope.freq_base", 10000)
	g.strs("tokenizer.ggml.tokens", []string{"a", "b", "c", "d"})
	g.i32s("tokenizer.ggml.token_type", []int32{1, 1, 1, 3})
	g.kvRaw("x.bool", ggufBool, func(b *bytes.Buffer) { b.WriteByte(1) })
	g.kvRaw("x.f64", ggufFloat64, func(b *bytes.Buffer) { binary.Write(b, binary.LittleEndian, 2.5) })
	g.kvRaw("x.i64", ggufInt64, func(b *bytes.Buffer) { binary.Write(b, binary.LittleEndian, int64(-7)) })
	g.kvRaw("x.u8", ggufUint8, func(b *bytes.Buffer) { b.WriteByte(200) })
	g.kvRaw("x.i8", ggufInt8, func(b *bytes.Buffer) { b.WriteByte(0xfe) })
	g.kvRaw("x.u16", ggufUint16, func(b *bytes.Buffer) { binary.Write(b, binary.LittleEndian, uint16(60000)) })
	g.kvRaw("x.i16", ggufInt16, func(b *bytes.Buffer) { binary.Write(b, binary.LittleEndian, int16(-300)) })
	g.kvRaw("x.i32", ggufInt32, func(b *bytes.Buffer) { binary.Write(b, binary.LittleEndian, int32(-70000)) })
	g.kvRaw("x.u64", ggufUint64, func(b *bytes.Buffer) { binary.Write(b, binary.LittleEndian, uint64(1)<<40) })
	g.kvRaw("x.f64s", ggufArray, func(b *bytes.Buffer) {
		binary.Write(b, binary.LittleEndian, uint32(ggufFloat64))
		binary.Write(b, binary.LittleEndian, uint64(2))
		binary.Write(b, binary.LittleEndian, []float64{0.5, -1})
	})
	g.kvRaw("x.bools", ggufArray, func(b *bytes.Buffer) {
		binary.Write(b, binary.LittleEndian, uint32(ggufBool))
		binary.Write(b, binary.LittleEndian, uint64(3))
		b.Write([]byte{1, 0, 1})
	})
	g.kvRaw("x.nested", ggufArray, func(b *bytes.Buffer) {
		binary.Write(b, binary.LittleEndian, uint32(ggufArray))
		binary.Write(b, binary.LittleEndian, uint64(1))
		binary.Write(b, binary.LittleEndian, uint32(ggufUint16))
		binary.Write(b, binary.LittleEndian, uint64(2))
		binary.Write(b, binary.LittleEndian, []uint16{5, 6})
	})
	g.tensor("blk.0.attn_q.weight", []uint64{64, 64}, qType, qData)
	emb := make([]byte, 4*64*4)
	for i := 0; i < 4*64; i++ {
		binary.LittleEndian.PutUint32(emb[4*i:], math.Float32bits(float32(i)))
	}
	g.tensor("token_embd.weight", []uint64{64, 4}, ggmlF32, emb)
	return g.bytes()
}

func writeTemp(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGGUFTypesAndPermutation(t *testing.T) {
	// HF q_proj values: row r, col c -> r*64+c (small ints, exact in every format).
	hf := make([]float32, 64*64)
	for i := range hf {
		hf[i] = float32(i%97) - 48
	}
	// permute rows like llama.cpp: stored row h*32 + 2j + s holds HF row h*32 + s*16 + j
	perm := make([]float32, len(hf))
	for h := 0; h < 2; h++ {
		for j := 0; j < 16; j++ {
			for s := 0; s < 2; s++ {
				copy(perm[(h*32+2*j+s)*64:][:64], hf[(h*32+s*16+j)*64:][:64])
			}
		}
	}
	f32 := make([]byte, 4*len(perm))
	f16 := make([]byte, 2*len(perm))
	bf := make([]byte, 2*len(perm))
	q8 := make([]byte, len(perm)/32*34)
	for i, v := range perm {
		binary.LittleEndian.PutUint32(f32[4*i:], math.Float32bits(v))
		binary.LittleEndian.PutUint16(bf[2*i:], uint16(math.Float32bits(v)>>16))
		// f16 of small integers: build via exponent
		binary.LittleEndian.PutUint16(f16[2*i:], f32ToF16Exact(v))
	}
	for b := 0; b < len(perm)/32; b++ {
		binary.LittleEndian.PutUint16(q8[b*34:], 0x3c00) // scale 1.0
		for j := 0; j < 32; j++ {
			q8[b*34+2+j] = byte(int8(perm[b*32+j]))
		}
	}
	for _, tc := range []struct {
		name string
		typ  uint32
		data []byte
		dt   tensor.DType
	}{{"f32", ggmlF32, f32, tensor.F32}, {"f16", ggmlF16, f16, tensor.F16}, {"bf16", ggmlBF16, bf, tensor.BF16}, {"q8", ggmlQ8_0, q8, tensor.Q8_0}} {
		for _, ver := range []uint32{2, 3} {
			p := writeTemp(t, "m.gguf", smallLlamaGGUF(ver, tc.typ, tc.data))
			ts, err := OpenTensors(p)
			if err != nil {
				t.Fatalf("%s v%d: %v", tc.name, ver, err)
			}
			dt, shape, _ := ts.Info("model.layers.0.self_attn.q_proj.weight")
			if dt != tc.dt || !reflect.DeepEqual(shape, []int{64, 64}) {
				t.Fatalf("%s: %v %v", tc.name, dt, shape)
			}
			got, err := ts.ReadF32("model.layers.0.self_attn.q_proj.weight")
			if err != nil || !reflect.DeepEqual(got, hf) {
				t.Fatalf("%s v%d: wrong values (%v)", tc.name, ver, err)
			}
			if tc.dt == tensor.F16 || tc.dt == tensor.BF16 {
				u, _, err := ts.ReadU16("model.layers.0.self_attn.q_proj.weight")
				if err != nil {
					t.Fatal(err)
				}
				for i := range u {
					w := bf16ToF32(u[i])
					if tc.dt == tensor.F16 {
						w = f16ToF32(u[i])
					}
					if w != hf[i] {
						t.Fatalf("%s ReadU16 [%d]", tc.name, i)
					}
				}
			}
			emb, _ := ts.ReadF32("model.embed_tokens.weight")
			if _, s, _ := ts.Info("model.embed_tokens.weight"); !reflect.DeepEqual(s, []int{4, 64}) || emb[65] != 65 {
				t.Fatal("embedding", s)
			}
			g := ts.(*GGUFTensors)
			if c := g.Config(); c.Vocab != 4 || c.HeadDim != 32 || c.KVHeads != 1 || !c.TieWordEmbeddings || c.RopeScaling != nil || c.RMSNormEps != 1e-6 {
				t.Fatalf("config %+v", c)
			}
			md := g.GGUF()
			if v, ok := md.Int("x.i64"); !ok || v != -7 {
				t.Fatal("i64")
			}
			if v, ok := md.Float("x.f64"); !ok || v != 2.5 {
				t.Fatal("f64")
			}
			if v, ok := md.Bool("x.bool"); !ok || !v {
				t.Fatal("bool")
			}
			for k, want := range map[string]int64{"x.u8": 200, "x.i8": -2, "x.u16": 60000, "x.i16": -300, "x.i32": -70000, "x.u64": 1 << 40} {
				if v, ok := md.Int(k); !ok || v != want {
					t.Fatalf("%s = %d (%v)", k, v, ok)
				}
			}
			if v := md.Metadata["x.f64s"]; !reflect.DeepEqual(v, []float64{0.5, -1}) {
				t.Fatalf("f64 array %#v", v)
			}
			if v := md.Metadata["x.bools"]; !reflect.DeepEqual(v, []bool{true, false, true}) {
				t.Fatalf("bool array %#v", v)
			}
			if v := md.Metadata["x.nested"]; !reflect.DeepEqual(v, []any{[]uint16{5, 6}}) {
				t.Fatalf("nested %#v", v)
			}
			ts.Close()
		}
	}
}

// f32ToF16Exact converts floats that are exactly representable in f16 (test helper).
func f32ToF16Exact(v float32) uint16 {
	if v == 0 {
		return 0
	}
	sign := uint16(0)
	if v < 0 {
		sign = 0x8000
		v = -v
	}
	e := 0
	for v >= 2 {
		v /= 2
		e++
	}
	for v < 1 {
		v *= 2
		e--
	}
	return sign | uint16(e+15)<<10 | uint16((v-1)*1024)
}

func TestTinyGGUFSeed(t *testing.T) {
	img := tinyGGUFSeed()
	g, err := ParseGGUF(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewGGUFTensors(g); err != nil {
		t.Fatal(err)
	}
	tk, err := g.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("<s>abab", true); !reflect.DeepEqual(got, []int{257, 256, 256}) {
		t.Fatal(got)
	}
}

func TestGGUFMalformed(t *testing.T) {
	good := smallLlamaGGUF(3, ggmlF32, make([]byte, 64*64*4))
	if _, err := ParseGGUF(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatal(err)
	}
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string][]byte{
		"empty":     {},
		"magic":     mut(func(b []byte) []byte { b[0] = 'X'; return b }),
		"version1":  mut(func(b []byte) []byte { b[4] = 1; return b }),
		"version9":  mut(func(b []byte) []byte { b[4] = 9; return b }),
		"truncated": good[:len(good)-10],
		"header":    good[:200],
		"ntensors":  mut(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[8:], 1<<60); return b }),
		"nkv":       mut(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[16:], 1<<60); return b }),
		"keylen":    mut(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[24:], 1<<62); return b }),
		"valtype":   mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[24+8+20:], 99); return b }),
	}
	for name, img := range cases {
		if _, err := ParseGGUF(bytes.NewReader(img), int64(len(img))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// non-llama architecture, unknown tensor names, unsupported tensor types
	g := newGGUFBuilder(3)
	g.str("general.architecture", "qwen2")
	p := writeTemp(t, "q.gguf", g.bytes())
	if _, err := OpenTensors(p); err == nil || !strings.Contains(err.Error(), "qwen2") {
		t.Fatalf("arch: %v", err)
	}
	img := smallLlamaGGUF(3, 6 /* Q5_0 */, make([]byte, 64*64))
	if _, err := ParseGGUF(bytes.NewReader(img), int64(len(img))); err == nil || !strings.Contains(err.Error(), "unsupported ggml tensor type") {
		t.Fatalf("q5_0: %v", err)
	}
	if _, ok := GGUFToHFName("blk.0.attn_rot_embd.weight"); ok {
		t.Fatal("unknown name mapped")
	}
	if n, ok := GGUFToHFName("blk.12.ffn_down.weight"); !ok || n != "model.layers.12.mlp.down_proj.weight" {
		t.Fatal(n)
	}
	if n, ok := GGUFToHFName("output.weight"); !ok || n != "lm_head.weight" {
		t.Fatal(n)
	}
}

// tinyGGUFSeed is a complete, small llama GGUF (hidden 32, 2 heads, 1 layer, vocab 258) with
// an F16 q_proj, a Q8_0 k_proj, rope_freqs of ones (llama3 factor 1) and a minimal byte-level
// tokenizer (256 bytes, one merge, one special), for fuzzing.
func tinyGGUFSeed() []byte {
	g := newGGUFBuilder(3)
	g.str("general.architecture", "llama")
	g.u32("llama.embedding_length", 32)
	g.u32("llama.feed_forward_length", 8)
	g.u32("llama.block_count", 1)
	g.u32("llama.attention.head_count", 2)
	g.u32("llama.attention.head_count_kv", 1)
	g.f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
	g.f32("llama.rope.freq_base", 500000)
	g.str("tokenizer.ggml.model", "gpt2")
	g.str("tokenizer.ggml.pre", "llama-bpe")
	var toks []string
	var types []int32
	for _, b := range byteOrder {
		toks = append(toks, byteLevelEncode([]byte{b}))
		types = append(types, 1)
	}
	toks = append(toks, "ab", "<s>")
	types = append(types, 1, 3)
	g.strs("tokenizer.ggml.tokens", toks)
	g.i32s("tokenizer.ggml.token_type", types)
	g.strs("tokenizer.ggml.merges", []string{"a b"})
	g.tensor("token_embd.weight", []uint64{32, 258}, ggmlBF16, make([]byte, 2*32*258))
	g.tensor("blk.0.attn_q.weight", []uint64{32, 32}, ggmlF16, make([]byte, 2*32*32))
	g.tensor("blk.0.attn_k.weight", []uint64{32, 16}, ggmlQ8_0, make([]byte, 16*34))
	div := make([]byte, 4*8)
	for i := 0; i < 8; i++ {
		binary.LittleEndian.PutUint32(div[4*i:], math.Float32bits(1))
	}
	g.tensor("rope_freqs.weight", []uint64{8}, ggmlF32, div)
	return g.bytes()
}

// fuzzGGUFSeed is a complete small GGUF (about 1 KB): a few metadata keys, four tokens
// and two small tensors, one F32 and one Q8_0. Seeds stay small so the fuzzer spends its
// time executing, not minimizing multi-kilobyte inputs (issue 16, item 10).
func fuzzGGUFSeed(version uint32) []byte {
	g := newGGUFBuilder(version)
	g.str("general.architecture", "llama")
	g.u32("llama.embedding_length", 32)
	g.u32("llama.feed_forward_length", 8)
	g.u32("llama.block_count", 1)
	g.u32("llama.attention.head_count", 2)
	g.u32("llama.attention.head_count_kv", 1)
	g.f32("llama.rope.freq_base", 10000)
	g.strs("tokenizer.ggml.tokens", []string{"a", "b", "ab", "<s>"})
	g.i32s("tokenizer.ggml.token_type", []int32{1, 1, 1, 3})
	g.strs("tokenizer.ggml.merges", []string{"a b"})
	emb := make([]byte, 4*32*4)
	for i := 0; i < 32*4; i++ {
		binary.LittleEndian.PutUint32(emb[4*i:], math.Float32bits(float32(i)/8))
	}
	g.tensor("token_embd.weight", []uint64{32, 4}, ggmlF32, emb)
	g.tensor("blk.0.attn_k.weight", []uint64{32, 2}, ggmlQ8_0, make([]byte, 2*34))
	return g.bytes()
}

func FuzzGGUF(f *testing.F) {
	f.Add(fuzzGGUFSeed(3))
	f.Add(fuzzGGUFSeed(2))
	f.Add(smallLlamaGGUF(3, ggmlF32, nil)) // every metadata value type; tensor data missing
	f.Add(smallLlamaGGUF(3, ggmlQ4_0, make([]byte, 64*64/32*18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGGUF(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if tk, err := g.Tokenizer(); err == nil {
			tk.Encode("ab ba", true)
		}
		ts, err := NewGGUFTensors(g)
		if err != nil {
			return
		}
		for _, n := range ts.Names() {
			_, shape, _ := ts.Info(n)
			v, err := ts.ReadF32(n)
			if err != nil {
				t.Fatal(err)
			}
			cnt := 1
			for _, d := range shape {
				cnt *= d
			}
			if len(v) != cnt {
				t.Fatalf("%s: %d values for %v", n, len(v), shape)
			}
			if dt, _, _ := ts.Info(n); isWeightQuant(dt) {
				// the blocks as stored: an error for a non-finite scale, never a panic
				_ = ts.ReadQuant(n, make([]byte, dt.Bytes(int64(cnt))))
			}
		}
	})
}
