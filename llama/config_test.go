package llama

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/popi-go/popi/tensor"
)

const tinyDir = "testdata/tiny-llama3"

// Public values of meta-llama/Llama-3.2-1B config.json.
const llama32_1BConfig = `{
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 128000,
  "eos_token_id": 128001,
  "head_dim": 64,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 8192,
  "max_position_embeddings": 131072,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 16,
  "num_key_value_heads": 8,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
    "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.45.0.dev0",
  "use_cache": true,
  "vocab_size": 128256
}`

// Public values of meta-llama/Llama-3.2-3B-Instruct config.json.
const llama32_3BInstructConfig = `{
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 128000,
  "eos_token_id": [128001, 128008, 128009],
  "head_dim": 128,
  "hidden_act": "silu",
  "hidden_size": 3072,
  "initializer_range": 0.02,
  "intermediate_size": 8192,
  "max_position_embeddings": 131072,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": 24,
  "num_hidden_layers": 28,
  "num_key_value_heads": 8,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
    "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.45.0.dev0",
  "use_cache": true,
  "vocab_size": 128256
}`

func llama3Rope() *RopeScaling {
	return &RopeScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}
}

func TestLoadConfigTiny(t *testing.T) {
	c, err := LoadConfig(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{Vocab: 384, Hidden: 64, Intermediate: 176, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16,
		RMSNormEps: 1e-5, RopeTheta: 500000, RopeScaling: llama3Rope(), TieWordEmbeddings: true, BOS: 376,
		EOS: []int{377, 383}, MaxPositions: 131072, TorchDType: "float32"}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	if !c.IsEOS(383) || !c.IsEOS(377) || c.IsEOS(376) {
		t.Fatal("IsEOS wrong")
	}
}

func TestLoadConfigBF16(t *testing.T) {
	c, err := LoadConfig(filepath.Join(tinyDir, "bf16", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.TorchDType != "bfloat16" || c.Hidden != 64 {
		t.Fatalf("%+v", c)
	}
	if _, err := LoadConfig(filepath.Join(tinyDir, "missing.json")); err == nil {
		t.Fatal("missing file")
	}
}

func TestParseConfigLlama32(t *testing.T) {
	c1, err := ParseConfig([]byte(llama32_1BConfig))
	if err != nil {
		t.Fatal(err)
	}
	w1 := &Config{Vocab: 128256, Hidden: 2048, Intermediate: 8192, Layers: 16, Heads: 32, KVHeads: 8, HeadDim: 64,
		RMSNormEps: 1e-5, RopeTheta: 500000, RopeScaling: llama3Rope(), TieWordEmbeddings: true, BOS: 128000,
		EOS: []int{128001}, MaxPositions: 131072, TorchDType: "bfloat16"}
	if !reflect.DeepEqual(c1, w1) {
		t.Fatalf("1B: got %+v", c1)
	}
	c3, err := ParseConfig([]byte(llama32_3BInstructConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c3.Hidden != 3072 || c3.Layers != 28 || c3.Heads != 24 || c3.KVHeads != 8 || c3.HeadDim != 128 ||
		!reflect.DeepEqual(c3.EOS, []int{128001, 128008, 128009}) || c3.BOS != 128000 || !c3.TieWordEmbeddings {
		t.Fatalf("3B: got %+v", c3)
	}
	if n := len(c3.RoPEInvFreq()); n != 64 {
		t.Fatalf("3B: %d inverse frequencies, want 64", n)
	}
}

func TestParseConfigVariants(t *testing.T) {
	// head_dim defaults to hidden/heads; rope_theta inside rope_parameters (transformers v5 style);
	// "dtype" instead of torch_dtype; kv heads default to heads.
	c, err := ParseConfig([]byte(`{"architectures":["LlamaForCausalLM"],"vocab_size":10,"hidden_size":8,
		"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rms_norm_eps":1e-6,
		"rope_parameters":{"rope_type":"llama3","rope_theta":1000.0,"factor":8.0,"low_freq_factor":1.0,
		"high_freq_factor":4.0,"original_max_position_embeddings":64},"dtype":"float16","eos_token_id":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.HeadDim != 4 || c.KVHeads != 2 || c.RopeTheta != 1000 || c.RopeScaling == nil || c.RopeScaling.Factor != 8 ||
		c.TorchDType != "float16" || c.EOS != nil || c.BOS != -1 || c.TieWordEmbeddings {
		t.Fatalf("got %+v", c)
	}
	c, err = ParseConfig([]byte(`{"vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,
		"num_attention_heads":2,"rms_norm_eps":1e-6,"rope_parameters":{"rope_type":"default","rope_theta":1000.0}}`))
	if err != nil || c.RopeScaling != nil || c.RopeTheta != 1000 {
		t.Fatalf("default rope_parameters: %+v %v", c, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	base := llama32_1BConfig
	cases := []struct{ name, from, to, msg string }{
		{"arch", `"LlamaForCausalLM"`, `"MistralForCausalLM"`, "architectures"},
		{"modeltype", `"model_type": "llama"`, `"model_type": "qwen2"`, "model_type"},
		{"ropetype", `"rope_type": "llama3"`, `"rope_type": "yarn"`, "rope type"},
		{"ropefields", `"low_freq_factor": 1.0,`, ``, "low_freq_factor"},
		{"kvdiv", `"num_key_value_heads": 8`, `"num_key_value_heads": 5`, "divisible"},
		{"headsdiv", `"head_dim": 64,`, `"head_dim": 63,`, "even"},
		{"zero", `"num_hidden_layers": 16`, `"num_hidden_layers": 0`, "num_hidden_layers"},
		{"act", `"silu"`, `"gelu"`, "hidden_act"},
		{"bias", `"attention_bias": false`, `"attention_bias": true`, "bias"},
		{"eos", `"eos_token_id": 128001`, `"eos_token_id": 999999`, "eos_token_id"},
		{"eostype", `"eos_token_id": 128001`, `"eos_token_id": "x"`, "eos_token_id"},
		{"eps", `"rms_norm_eps": 1e-05`, `"rms_norm_eps": 0`, "rms_norm_eps"},
		{"missing", `"hidden_size": 2048,`, ``, "hidden_size"},
		{"dtype", `"bfloat16"`, `"int8"`, "torch_dtype"},
		{"json", `}`, ``, "config"},
	}
	for _, tc := range cases {
		s := strings.Replace(base, tc.from, tc.to, 1)
		if s == base {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		_, err := ParseConfig([]byte(s))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want mention of %q", tc.name, err, tc.msg)
		}
	}
	// heads not dividing hidden without head_dim
	s := strings.Replace(strings.Replace(base, `"head_dim": 64,`, ``, 1), `"num_attention_heads": 32`, `"num_attention_heads": 30`, 1)
	if _, err := ParseConfig([]byte(s)); err == nil || !strings.Contains(err.Error(), "divisible") {
		t.Errorf("hidden/heads: %v", err)
	}
}

func TestWriteConfigRoundTrip(t *testing.T) {
	for _, src := range []string{llama32_1BConfig, llama32_3BInstructConfig} {
		c, err := ParseConfig([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "config.json")
		if err := WriteConfig(p, c); err != nil {
			t.Fatal(err)
		}
		c2, err := LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip: %+v != %+v", c2, c)
		}
		if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
			t.Fatalf("temp files left: %v", ents)
		}
	}
	bad := &Config{Vocab: 1}
	if err := WriteConfig(filepath.Join(t.TempDir(), "c.json"), bad); err == nil {
		t.Fatal("invalid config written")
	}
}

// TestRoPEInvFreqTiny checks the README's description (indices 0-3 unscaled, 4 smooth, 5-7
// divided by 32), an independent float64 evaluation of the llama3 formula, and the divisors
// llama.cpp stored in model.gguf's rope_freqs.
func TestRoPEInvFreqTiny(t *testing.T) {
	c, err := LoadConfig(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv := c.RoPEInvFreq()
	plain := *c
	plain.RopeScaling = nil
	base := plain.RoPEInvFreq()
	if len(inv) != 8 || len(base) != 8 {
		t.Fatalf("len %d %d", len(inv), len(base))
	}
	for i := 0; i < 8; i++ {
		// float64 reference of the HF formula
		f := 1 / math.Pow(500000, float64(2*i)/16)
		if rel := math.Abs(float64(base[i])-f) / f; rel > 1e-7 {
			t.Errorf("base freq %d: %g vs %g", i, base[i], f)
		}
		wave := 2 * math.Pi / f
		want := f
		switch {
		case wave < 8192/4.0:
		case wave > 8192/1.0:
			want = f / 32
		default:
			s := (8192/wave - 1) / 3
			want = (1-s)*f/32 + s*f
		}
		if rel := math.Abs(float64(inv[i])-want) / want; rel > 1e-6 {
			t.Errorf("scaled freq %d: %g vs float64 %g", i, inv[i], want)
		}
		switch {
		case i < 4:
			if inv[i] != base[i] {
				t.Errorf("freq %d should be unscaled", i)
			}
		case i == 4:
			if !(inv[i] < base[i] && inv[i] > base[i]/32) {
				t.Errorf("freq 4 should be in the smooth band: %g vs %g", inv[i], base[i])
			}
		default:
			if inv[i] != base[i]/32 {
				t.Errorf("freq %d should be divided by 32 exactly", i)
			}
		}
	}
	g, err := OpenGGUF(filepath.Join(tinyDir, "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	raw, err := g.ReadRaw("rope_freqs.weight")
	if err != nil {
		t.Fatal(err)
	}
	div := decodeF32(tensor.F32, raw, 8)
	for i := range div {
		got := float64(base[i]) / float64(inv[i])
		if math.Abs(got-float64(div[i])) > 1e-5*float64(div[i]) {
			t.Errorf("divisor %d: %g, gguf %g", i, got, div[i])
		}
	}
	if c.RopeScaling.Factor != 32 || div[7] != 32 || math.Abs(float64(div[4])-3.29226) > 1e-5 {
		t.Errorf("divisors %v", div)
	}
}
