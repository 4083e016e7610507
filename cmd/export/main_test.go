package main

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/tensor"
)

const tiny = "../../llama/testdata/golden_tiny"

// Exporting the tiny HF directory reproduces the metadata of llama.cpp's
// converter (model.gguf) and loads back to the same weights.
func TestExportTiny(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tiny.gguf")
	var so, se bytes.Buffer
	if err := run([]string{"-model", tiny, "-o", out, "-name", "tiny-llama3-golden"}, &so, &se); err != nil {
		t.Fatal(err, se.String())
	}
	got, err := llama.OpenGGUF(out)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	ref, err := llama.OpenGGUF(filepath.Join(tiny, "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if !reflect.DeepEqual(got.Metadata, ref.Metadata) {
		for k, v := range ref.Metadata {
			if !reflect.DeepEqual(got.Metadata[k], v) {
				t.Errorf("metadata %s = %.60v, converter %.60v", k, got.Metadata[k], v)
			}
		}
		t.Errorf("metadata differs (%d keys vs %d)", len(got.Metadata), len(ref.Metadata))
	}
	a, err := llama.Load(out, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := llama.Load(tiny, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Layers[1].Q.F32, b.Layers[1].Q.F32) || !reflect.DeepEqual(a.Embed.F32, b.Embed.F32) {
		t.Errorf("weights differ after export")
	}
}

// -random 30m writes the benchmark model: same weights as NewRandomAs with
// the benchmark config and seed, a full synthetic vocabulary.
func TestExportRandom30m(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.gguf")
	var so, se bytes.Buffer
	if err := run([]string{"-random", "30m", "-dtype", "bf16", "-o", out}, &so, &se); err != nil {
		t.Fatal(err, se.String())
	}
	cfg, _ := benchConfig("30m")
	want, err := llama.NewRandomAs(cfg, 1, tensor.BF16)
	if err != nil {
		t.Fatal(err)
	}
	got, err := llama.Load(out, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.Vocab != 8192 || got.Config.Hidden != 512 || got.Config.Layers != 8 {
		t.Errorf("config %+v", got.Config)
	}
	for i := range want.Layers {
		if !reflect.DeepEqual(got.Layers[i].K.U16, want.Layers[i].K.U16) || !reflect.DeepEqual(got.Layers[i].Down.U16, want.Layers[i].Down.U16) {
			t.Fatalf("layer %d weights differ from NewRandomAs", i)
		}
	}
	tok, err := llama.LoadTokenizer(out)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 8192 {
		t.Errorf("vocab %d", tok.VocabSize())
	}
	ids := tok.Encode("hello world", false)
	if s, _ := tok.Decode(ids); string(s) != "hello world" {
		t.Errorf("round trip %q", s)
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", tiny}, "-o is required"},
		{[]string{"-o", dir + "/x.gguf"}, "exactly one of"},
		{[]string{"-model", tiny, "-random", "1b", "-o", dir + "/x.gguf"}, "exactly one of"},
		{[]string{"-random", "7b", "-o", dir + "/x.gguf"}, "unknown -random shape"},
		{[]string{"-random", "30m", "-dtype", "q4", "-o", dir + "/x.gguf"}, "unknown -dtype"},
		{[]string{"-model", tiny, "-dtype", "q4", "-o", dir + "/x.gguf"}, "unknown weight type"},
		{[]string{"-model", dir + "/missing", "-o", dir + "/x.gguf"}, "missing"},
		{[]string{"-model", tiny, "-o", dir + "/x.gguf", "extra"}, "unexpected arguments"},
		{[]string{"-model", tiny, "-quant", "q5_k", "-o", dir + "/x.gguf"}, "unknown quantization"},
		{[]string{"-model", tiny, "-quant", "q8_0", "-dtype", "f16", "-o", dir + "/x.gguf"}, "exclude each other"},
	} {
		var so, se bytes.Buffer
		err := run(tc.args, &so, &se)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// -quant q8_0 on the tiny model: matrices stored as Q8_0 (ffn_down, whose 176 columns are no
// whole blocks, as F16, llama.cpp's fallback), loaded back still quantized.
func TestExportQuant(t *testing.T) {
	out := filepath.Join(t.TempDir(), "q8.gguf")
	var so, se bytes.Buffer
	if err := run([]string{"-model", tiny, "-o", out, "-quant", "q8_0"}, &so, &se); err != nil {
		t.Fatal(err, se.String())
	}
	m, err := llama.Load(out, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Layers[0].Q.DType != tensor.Q8_0 || m.Embed.DType != tensor.Q8_0 || m.Layers[1].Down.DType != tensor.F16 {
		t.Fatalf("types: q %v, embed %v, down %v", m.Layers[0].Q.DType, m.Embed.DType, m.Layers[1].Down.DType)
	}
}
