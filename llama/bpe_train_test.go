package llama

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func trainCorpus() [][]byte {
	rng := rand.New(rand.NewSource(7))
	syll := []string{"ka", "lo", "mi", "ne", "ru", "sta", "the", "an", "ing", "er", "é", "дм", "ий", "小", "明", "θη"}
	word := func() string {
		var b bytes.Buffer
		for n := 1 + rng.Intn(3); n > 0; n-- {
			b.WriteString(syll[rng.Intn(len(syll))])
		}
		return b.String()
	}
	var docs [][]byte
	for i := 0; i < 400; i++ {
		var b bytes.Buffer
		for j := 0; j < 12; j++ {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(word())
		}
		fmt.Fprintf(&b, ". They'd say it's %d%% true!\n\n<|eot_id|>%s doesn't.\r\n", i, word())
		docs = append(docs, b.Bytes())
	}
	return docs
}

var trainSpecials = []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}

func TestTrainBPE(t *testing.T) {
	corpus := trainCorpus()
	tk, err := TrainBPE(corpus, 600, trainSpecials)
	if err != nil {
		t.Fatal(err)
	}
	if tk.VocabSize() != 600 || tk.NumOrdinary() != 595 {
		t.Fatalf("vocab %d ordinary %d", tk.VocabSize(), tk.NumOrdinary())
	}
	if id, _ := tk.SpecialID("<|eot_id|>"); id != 599 {
		t.Fatal(id)
	}
	if !bytes.Equal(tk.Token(0), []byte("!")) || !bytes.Equal(tk.Token(198), []byte("\n")) || !bytes.Equal(tk.Token(220), []byte(" ")) {
		t.Fatal("byte tokens not in GPT-2 order")
	}
	// unique split rule holds for every multi-byte token
	for id := 256; id < tk.NumOrdinary(); id++ {
		tok := tk.Token(id)
		n := 0
		for k := 1; k < len(tok); k++ {
			if _, l := tk.encoder[string(tok[:k])]; l {
				if _, r := tk.encoder[string(tok[k:])]; r {
					n++
				}
			}
		}
		if n != 1 {
			t.Fatalf("token %d %q splits %d ways", id, tok, n)
		}
	}
	// no token contains special text
	for id := 0; id < tk.NumOrdinary(); id++ {
		if bytes.Contains(tk.Token(id), []byte("<|eot")) {
			t.Fatalf("token %q learned from special text", tk.Token(id))
		}
	}
	// compression: the corpus encodes to far fewer tokens than bytes
	ids := tk.EncodeBytes(corpus[5], true)
	if len(ids)*2 > len(corpus[5]) {
		t.Fatalf("%d tokens for %d bytes", len(ids), len(corpus[5]))
	}
	// deterministic
	tk2, _ := TrainBPE(corpus, 600, trainSpecials)
	if !reflect.DeepEqual(tk.tokens, tk2.tokens) {
		t.Fatal("training not deterministic")
	}

	// Save in all formats and reload: identical ids everywhere.
	dir := t.TempDir()
	if err := tk.SaveHF(dir); err != nil {
		t.Fatal(err)
	}
	fromModel, err := LoadTiktoken(filepath.Join(dir, "tokenizer.model"))
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := LoadTokenizerJSON(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fromJSON.mode != bpeMerges || len(fromJSON.mergeList) != 595-256 {
		t.Fatalf("merges %d", len(fromJSON.mergeList))
	}
	rng := rand.New(rand.NewSource(1))
	texts := append([]string{}, roundTripTexts...)
	for _, d := range corpus[:20] {
		texts = append(texts, string(d))
	}
	alphabet := []string{"a", "b", "e", "s", " ", "'", "\n", "1", "é", "小", "<|eot_id|>", "\xff", "th", "ke", "!"}
	for i := 0; i < 2000; i++ {
		var b bytes.Buffer
		for n := rng.Intn(20); n >= 0; n-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		for _, ps := range []bool{false, true} {
			want := tk.Encode(s, ps)
			if got := fromModel.Encode(s, ps); !reflect.DeepEqual(got, want) {
				t.Fatalf("tokenizer.model reload differs on %q", s)
			}
			if got := fromJSON.Encode(s, ps); !reflect.DeepEqual(got, want) {
				t.Fatalf("tokenizer.json (merge list) differs on %q:\n%v\n%v", s, got, want)
			}
			if dec, _ := tk.Decode(want); string(dec) != s {
				t.Fatalf("round trip %q", s)
			}
		}
	}
	if _, err := TrainBPE(corpus, 100, nil); err == nil {
		t.Fatal("vocab below 256 accepted")
	}
	if _, err := TrainBPE(corpus, 300, []string{"x", "x"}); err == nil {
		t.Fatal("duplicate specials accepted")
	}
}

func TestWriteTinyTokenizerFiles(t *testing.T) {
	toks := tinyTokenizers(t)
	dir := t.TempDir()
	// tiktoken file rewrite is byte-identical
	if err := toks["tiktoken"].WriteTiktoken(filepath.Join(dir, "a.model")); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(tinyDir, "tokenizer.model"))
	b, _ := os.ReadFile(filepath.Join(dir, "a.model"))
	if !bytes.Equal(a, b) {
		t.Fatal("tokenizer.model rewrite differs")
	}
	// merges derived from ranks equal the published merge list
	fromRanks, err := toks["tiktoken"].mergesForJSON()
	if err != nil {
		t.Fatal(err)
	}
	fromFile, _ := toks["hfjson"].mergesForJSON()
	if !reflect.DeepEqual(fromRanks, fromFile) || len(fromFile) != 120 {
		t.Fatalf("derived merges differ (%d vs %d)", len(fromRanks), len(fromFile))
	}
	// the merge-list tokenizer can be saved as tiktoken too
	if err := toks["hfjson"].WriteTiktoken(filepath.Join(dir, "b.model")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b.model")); !bytes.Equal(a, b) {
		t.Fatal("tokenizer.model from tokenizer.json differs")
	}
	if err := toks["tiktoken"].SaveHF(dir); err != nil {
		t.Fatal(err)
	}
	re, err := LoadTokenizer(dir)
	if err != nil {
		t.Fatal(err)
	}
	golden := readJSONL[goldenTok](t, filepath.Join(tinyDir, "tokenizer_golden.jsonl"))
	for _, g := range golden {
		if got := re.Encode(g.Text, true); !reflect.DeepEqual(got, g.IDs) {
			t.Fatalf("reloaded tokenizer differs on %q", g.Text)
		}
	}
	if !reflect.DeepEqual(re.Specials(), toks["tiktoken"].Specials()) {
		t.Fatal("specials lost")
	}
	// Meta default specials when no sidecar file exists
	solo := t.TempDir()
	os.WriteFile(filepath.Join(solo, "tokenizer.model"), a, 0o644)
	m, err := LoadTiktoken(filepath.Join(solo, "tokenizer.model"))
	if err != nil {
		t.Fatal(err)
	}
	if m.VocabSize() != 376+256 {
		t.Fatal(m.VocabSize())
	}
	for name, off := range map[string]int{"<|begin_of_text|>": 0, "<|start_header_id|>": 6, "<|eot_id|>": 9, "<|python_tag|>": 10, "<|reserved_special_token_247|>": 255} {
		if id, ok := m.SpecialID(name); !ok || id != 376+off {
			t.Errorf("%s: %d", name, id)
		}
	}
}

func TestBPEHeapMatchesScan(t *testing.T) {
	toks := tinyTokenizers(t)
	trained, err := TrainBPE(trainCorpus(), 700, trainSpecials)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(5))
	alphabet := []string{"a", "e", "t", "h", " ", "!", "=", "é", "小", "\xff", "th", "he", "in", "ka", "lo"}
	for i := 0; i < 300; i++ {
		var b bytes.Buffer
		for n := rng.Intn(200); n >= 0; n-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		for _, tk := range []*Tokenizer{toks["tiktoken"], toks["hfjson"], trained} {
			p := b.Bytes()
			if a, c := tk.bpeShort(p), tk.bpeLong(p); !reflect.DeepEqual(a, c) {
				t.Fatalf("heap and scan BPE differ on %q:\n%v\n%v", p, a, c)
			}
		}
	}
	// a long single pre-token is fast
	long := bytes.Repeat([]byte("!="), 50000)
	ids := toks["tiktoken"].EncodeBytes(long, false)
	if dec, _ := toks["tiktoken"].Decode(ids); !bytes.Equal(dec, long) {
		t.Fatal("long piece round trip")
	}
}
