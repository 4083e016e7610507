package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// tinyModelDir writes a random tiny model with a small BPE tokenizer.
func tinyModelDir(t *testing.T) string {
	t.Helper()
	var texts [][]byte
	for _, s := range []string{"The user prefers short answers.", "Rain is water falling from clouds.", "Why is the sky blue?"} {
		texts = append(texts, []byte(strings.Repeat(s+" ", 5)))
	}
	tok, err := llama.TrainBPE(texts, 300, []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"})
	if err != nil {
		t.Fatal(err)
	}
	eot, _ := tok.SpecialID("<|eot_id|>")
	bos, _ := tok.SpecialID("<|begin_of_text|>")
	cfg := &llama.Config{Vocab: tok.VocabSize(), Hidden: 32, Intermediate: 64, Layers: 1, Heads: 2, KVHeads: 1, HeadDim: 16,
		RMSNormEps: 1e-5, RopeTheta: 10000, TieWordEmbeddings: true, BOS: bos, EOS: []int{eot}, MaxPositions: 4096}
	m, err := llama.NewRandom(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := tok.SaveHF(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The summary is written once and reused: a second call without -model answers prompts
// with the stored summary.
func TestSummarizeOnceThenReuse(t *testing.T) {
	model := tinyModelDir(t)
	dir := t.TempDir()
	sig := filepath.Join(dir, "signals.txt")
	os.WriteFile(sig, []byte(prompt.RenderPreferencePairs([]data.PrefPair{{Prompt: "Why rain?", Chosen: "Water falls.", Rejected: "No idea."}})), 0o644)
	prompts := filepath.Join(dir, "prompts.txt")
	os.WriteFile(prompts, []byte("Why is the sky blue?\n\nWhat is rain?\n"), 0o644)
	out := filepath.Join(dir, "user.json")
	var so, se bytes.Buffer
	if code := run(context.Background(), []string{"-model", model, "-signals", sig, "-out", out, "-max-tokens", "6", "-temperature", "1"}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	rec, err := popi.ReadSummaryRecord(out)
	if err != nil || rec.Model != model || !strings.Contains(rec.Signals, "Why rain?") {
		t.Fatalf("%+v %v", rec, err)
	}
	so.Reset()
	se.Reset()
	if code := run(context.Background(), []string{"-out", out, "-generator", model, "-prompts", prompts, "-max-response-tokens", "5"}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	if !strings.Contains(se.String(), "reusing the stored summary") || strings.Count(so.String(), "# Response") != 2 {
		t.Fatalf("stdout %q stderr %q", so.String(), se.String())
	}
	again, _ := popi.ReadSummaryRecord(out)
	if *again != *rec {
		t.Fatal("stored summary rewritten")
	}
	// Errors: no signals, no model, bad family, corrupt record.
	for _, args := range [][]string{
		{"-out", filepath.Join(dir, "new.json")},
		{"-out", filepath.Join(dir, "new.json"), "-signals", sig},
		{"-out", filepath.Join(dir, "new.json"), "-family", "imdb"},
	} {
		if code := run(context.Background(), args, &so, &se); code == 0 {
			t.Fatalf("%v succeeded", args)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"summary": 3}`), 0o644)
	if code := run(context.Background(), []string{"-out", bad}, &so, &se); code != 1 {
		t.Fatalf("corrupt record: exit %d", code)
	}
}
