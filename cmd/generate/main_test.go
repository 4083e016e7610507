package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const tiny = "../../llama/testdata/golden_tiny"

// Greedy generation on the tiny model prints exactly the golden
// continuation's bytes.
func TestGenerateGreedyGolden(t *testing.T) {
	var g struct {
		Tied struct {
			Hex string `json:"text_bytes_hex"`
		} `json:"tied"`
	}
	data, err := os.ReadFile(tiny + "/greedy.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString(g.Tied.Hex)
	var out, errOut bytes.Buffer
	if err := run([]string{"-model", tiny, "-prompt", "Once upon a time", "-temp", "0", "-max-tokens", "24"}, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	if got := bytes.TrimSuffix(out.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestGenerateChatSampledAndErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"-model", tiny, "-prompt", "Hi there", "-chat", "-system", "Be brief.", "-temp", "0.8", "-top-p", "0.9", "-top-k", "40", "-max-tokens", "8", "-seed", "3", "-stats"}
	if err := run(args, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "tokens/s") {
		t.Errorf("no stats: %q", errOut.String())
	}
	var again bytes.Buffer
	if err := run(args, &again, &errOut); err != nil || again.String() != out.String() {
		t.Errorf("same seed gave %q then %q (%v)", out.String(), again.String(), err)
	}
	for _, bad := range [][]string{
		{},
		{"-model", tiny + "/nope"},
		{"-model", tiny, "-weights", "int3"},
		{"-model", tiny, "-max-tokens", "0"},
		{"-model", tiny, "extra"},
	} {
		if err := run(bad, &out, &errOut); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestGenerateQuantizedGGUF: a GGUF of llama.cpp's Q4_K/Q6_K blocks (written by its own
// quantizer, llama/testdata/quant) generates with its weights kept quantized, and the same
// file widened to f32 (-weights f32) generates too; greedy output is deterministic.
func TestGenerateQuantizedGGUF(t *testing.T) {
	const q = "../../llama/testdata/quant/q4_k_m.gguf"
	for _, w := range []string{"auto", "f32"} {
		var out, again, errOut bytes.Buffer
		args := []string{"-model", q, "-prompt", "ab", "-temp", "0", "-max-tokens", "8", "-weights", w, "-stats"}
		if err := run(args, &out, &errOut); err != nil {
			t.Fatal(w, err, errOut.String())
		}
		if err := run(args, &again, &errOut); err != nil || again.String() != out.String() || out.Len() == 0 {
			t.Fatalf("%s: %q then %q (%v)", w, out.String(), again.String(), err)
		}
		if !strings.Contains(errOut.String(), "tokens/s") {
			t.Fatalf("%s: no stats: %q", w, errOut.String())
		}
	}
}
