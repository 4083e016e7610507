package main

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"github.com/popi-go/popi/llama"
)

const loraAdapter = "../../llama/testdata/lora/adapter"

// logitsOf runs ids through m and returns every logit row.
func logitsOf(t *testing.T, m *llama.Model, ids []int) []float32 {
	t.Helper()
	b := []llama.Seq{{Cache: m.NewKVCache(len(ids)), Tokens: ids, AllLogits: true}}
	if err := m.NewRunner().Forward(b); err != nil {
		t.Fatal(err)
	}
	return b[0].Logits
}

// -adapter merges the PEFT adapter: the exported HF directory and GGUF
// file give the adapted model's logits.
func TestExportMergedAdapter(t *testing.T) {
	base, err := llama.Load(tiny, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := llama.LoadAdapter(loraAdapter, base.Config)
	if err != nil {
		t.Fatal(err)
	}
	view, err := base.WithAdapter(a)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{376, 5, 77, 300, 12, 9, 250, 31}
	want := logitsOf(t, view, ids)
	dir := filepath.Join(t.TempDir(), "merged")
	gguf := filepath.Join(t.TempDir(), "merged.gguf")
	for _, args := range [][]string{
		{"-model", tiny, "-adapter", loraAdapter, "-format", "hf", "-o", dir},
		{"-model", tiny, "-adapter", loraAdapter, "-o", gguf},
	} {
		var so, se bytes.Buffer
		if err := run(args, &so, &se); err != nil {
			t.Fatal(err, se.String())
		}
		out := args[len(args)-1]
		m, err := llama.Load(out, llama.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := llama.LoadTokenizer(out); err != nil {
			t.Errorf("%s: tokenizer: %v", out, err)
		}
		got := logitsOf(t, m, ids)
		var d, ref float64
		for i := range got {
			d = math.Max(d, math.Abs(float64(got[i]-want[i])))
			ref = math.Max(ref, math.Abs(float64(want[i])))
		}
		if d/ref > 1e-5 {
			t.Errorf("%s: merged logits differ from the adapter's by %.3g relative", out, d/ref)
		}
	}
	var so, se bytes.Buffer
	for _, bad := range [][]string{
		{"-random", "30m", "-adapter", loraAdapter, "-o", gguf},
		{"-model", tiny, "-adapter", t.TempDir(), "-o", gguf},
		{"-model", tiny, "-format", "onnx", "-o", gguf},
	} {
		if err := run(bad, &so, &se); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
