package main

import (
	"bytes"
	"testing"

	"github.com/popi-go/popi/llama"
)

const loraAdapter = "../../llama/testdata/lora/adapter"

// -adapter generates with the PEFT adapter applied: greedy output equals
// the adapted model's (llama.Model.WithAdapter) and differs from the
// base's.
func TestGenerateAdapter(t *testing.T) {
	gen := func(args ...string) string {
		var out, errOut bytes.Buffer
		if err := run(append([]string{"-model", tiny, "-prompt", "Once upon a time", "-temp", "0", "-max-tokens", "12"}, args...), &out, &errOut); err != nil {
			t.Fatal(err, errOut.String())
		}
		return out.String()
	}
	with, without := gen("-adapter", loraAdapter), gen()
	base, err := llama.Load(tiny, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := llama.LoadAdapter(loraAdapter, base.Config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := base.WithAdapter(a)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := llama.LoadTokenizer(tiny)
	if err != nil {
		t.Fatal(err)
	}
	ids := append([]int{base.Config.BOS}, tok.Encode("Once upon a time", false)...)
	c, err := v.Generate(ids, llama.GenerateOptions{MaxTokens: 12})
	if err != nil {
		t.Fatal(err)
	}
	var toks []int
	for _, id := range c.Tokens {
		if !base.Config.IsEOS(id) {
			toks = append(toks, id)
		}
	}
	want, _ := tok.Decode(toks)
	if with != string(want)+"\n" {
		t.Errorf("-adapter output %q, adapted model %q", with, want)
	}
	if with == without {
		t.Errorf("the adapter changed nothing: %q", with)
	}
	var out, errOut bytes.Buffer
	if err := run([]string{"-model", tiny, "-prompt", "x", "-adapter", t.TempDir()}, &out, &errOut); err == nil {
		t.Error("empty adapter directory accepted")
	}
}
