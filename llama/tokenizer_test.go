package llama

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

type goldenTok struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

func readJSONL[T any](t testing.TB, path string) []T {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// tinyTokenizers loads the tiny tokenizer four ways: tokenizer.model (rank BPE),
// tokenizer.json (merge-list BPE), model.gguf metadata (merge list), and the directory.
func tinyTokenizers(t testing.TB) map[string]*Tokenizer {
	out := map[string]*Tokenizer{}
	var err error
	if out["tiktoken"], err = LoadTiktoken(filepath.Join(tinyDir, "tokenizer.model")); err != nil {
		t.Fatal(err)
	}
	if out["hfjson"], err = LoadTokenizerJSON(filepath.Join(tinyDir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	if out["gguf"], err = LoadTokenizer(filepath.Join(tinyDir, "model.gguf")); err != nil {
		t.Fatal(err)
	}
	if out["dir"], err = LoadTokenizer(tinyDir); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTokenizerGolden(t *testing.T) {
	toks := tinyTokenizers(t)
	golden := readJSONL[goldenTok](t, filepath.Join(tinyDir, "tokenizer_golden.jsonl"))
	if len(golden) != 50 {
		t.Fatalf("%d golden records", len(golden))
	}
	for name, tk := range toks {
		if tk.VocabSize() != 384 || tk.NumOrdinary() != 376 {
			t.Fatalf("%s: vocab %d ordinary %d", name, tk.VocabSize(), tk.NumOrdinary())
		}
		if id, ok := tk.SpecialID("<|eot_id|>"); !ok || id != 383 {
			t.Fatalf("%s: eot %d", name, id)
		}
		for i, g := range golden {
			for _, ps := range []bool{false, true} {
				got := tk.Encode(g.Text, ps)
				if !reflect.DeepEqual(got, g.IDs) {
					t.Fatalf("%s record %d (%q) special=%v:\n got %v\nwant %v", name, i, g.Text, ps, got, g.IDs)
				}
			}
			dec, err := tk.Decode(g.IDs)
			if err != nil || string(dec) != g.Text {
				t.Fatalf("%s: decode %d: %q %v", name, i, dec, err)
			}
		}
	}
}

func TestTokenizerSpecialParsing(t *testing.T) {
	tk := tinyTokenizers(t)["tiktoken"]
	recs := readJSONL[chatRecord](t, filepath.Join(tinyDir, "tokenizer_golden_special.jsonl"))
	for _, r := range recs {
		if got := tk.Encode(r.Text, true); !reflect.DeepEqual(got, r.IDs) {
			t.Fatalf("%s: got %v want %v", r.Name, got, r.IDs)
		}
	}
	plain := tk.Encode("<|eot_id|>", false)
	if len(plain) < 2 || reflect.DeepEqual(plain, []int{383}) {
		t.Fatalf("special text encoded as special with parsing off: %v", plain)
	}
	for _, id := range plain {
		if tk.IsSpecial(id) {
			t.Fatal("special id produced without parsing")
		}
	}
	if dec, _ := tk.Decode(plain); string(dec) != "<|eot_id|>" {
		t.Fatal(string(dec))
	}
	got := tk.Encode("a<|eot_id|><|eot_id|>b<|begin_of_text|", true)
	if got[1] != 383 || got[2] != 383 || tk.IsSpecial(got[len(got)-1]) {
		t.Fatalf("%v", got)
	}
	if _, err := tk.Decode([]int{384}); err == nil {
		t.Fatal("decode of unknown id")
	}
	if _, err := tk.Decode([]int{-1}); err == nil {
		t.Fatal("decode of negative id")
	}
}

// roundTripTexts cover many scripts, whitespace shapes and invalid UTF-8.
var roundTripTexts = []string{
	"", " ", "  ", "\n", "\r\n\r\n", "\t\t x", "a  \n  b", "x   ", "   y",
	"Hello, World! It's 2024; we'll see—they'd've SAID 'Quoted'.",
	"DON'T STOP'S 'LL 'Re",
	"Ελληνικά: Καλημέρα κόσμε", "Русский текст, ёжик.", "中文分词测试，日本語のテキスト。한국어",
	"العربية نص تجريبي", "हिन्दी देवनागरी लिपि", "emoji 🙂👍🏽 family 👨‍👩‍👧 flags 🇫🇷",
	"numbers 1234567 3.14159 ١٢٣ ⅔ ²", "NBSP\u00a0here\u3000ideographic", "tabs\tand\u2028line sep",
	"\xff\xfe invalid \xc3( \xe2\x82 trunc \xf0\x9f\x99", "mixed\x80bytes\xbf", "'ſ long s",
	"<|eot_id|> looks special", "```go\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n```",
}

func TestTokenizerRoundTripAndLoadersAgree(t *testing.T) {
	toks := tinyTokenizers(t)
	ref := toks["tiktoken"]
	for _, s := range roundTripTexts {
		want := ref.Encode(s, false)
		dec, err := ref.Decode(want)
		if err != nil || string(dec) != s {
			t.Fatalf("round trip %q -> %q", s, dec)
		}
		for name, tk := range toks {
			if got := tk.Encode(s, false); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s disagrees on %q:\n%v\n%v", name, s, got, want)
			}
		}
	}
}

func TestStreamDecoder(t *testing.T) {
	tk := tinyTokenizers(t)["tiktoken"]
	for _, s := range roundTripTexts {
		ids := tk.Encode(s, false)
		// inside[i]: byte offset i falls strictly inside a valid multi-byte character
		inside := make([]bool, len(s)+1)
		for i := 0; i < len(s); {
			r, w := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || w > 1 {
				for k := 1; k < w; k++ {
					inside[i+k] = true
				}
			}
			i += w
		}
		d := tk.NewStreamDecoder()
		var all []byte
		for _, id := range ids {
			b, err := d.Add(id)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) > 0 && inside[len(all)] && len(b) > 0 {
				t.Fatalf("%q: chunk boundary at %d splits a character", s, len(all))
			}
			all = append(all, b...)
		}
		all = append(all, d.Flush()...)
		if string(all) != s {
			t.Fatalf("stream %q != %q", all, s)
		}
	}
	// byte tokens of "é" = c3 a9 arrive separately
	d := tk.NewStreamDecoder()
	b1, _ := d.Add(tk.byteID[0xc3])
	b2, _ := d.Add(tk.byteID[0xa9])
	if len(b1) != 0 || string(b2) != "é" {
		t.Fatalf("%q %q", b1, b2)
	}
	if _, err := d.Add(9999); err == nil {
		t.Fatal("unknown id")
	}
}

func TestPreTokenize(t *testing.T) {
	cases := map[string][]string{
		"Hello world":          {"Hello", " world"},
		"I'm here, it's 12345": {"I", "'m", " here", ",", " it", "'s", " ", "123", "45"},
		"a  \n  b":             {"a", "  \n", " ", " b"},
		"x   ":                 {"x", "   "},
		"  y":                  {" ", " y"},
		"!!!\n\nok":            {"!!!\n\n", "ok"},
		" ?? x":                {" ??", " x"},
		"\xff\xfeab":           {"\xff\xfe", "ab"},
		"\xffab":               {"\xffab"},
		"'Re'LL'x":             {"'Re", "'LL", "'x"},
		"\r\n":                 {"\r\n"},
		"a\tb":                 {"a", "\tb"},
	}
	for in, want := range cases {
		var got []string
		for _, p := range PreTokenize([]byte(in)) {
			got = append(got, string(p))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q want %q", in, got, want)
		}
	}
}

func TestTokenizerJSONErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(tinyDir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"type":     `{"model":{"type":"Unigram","vocab":{}}}`,
		"json":     `{"model":`,
		"bytes":    `{"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}`,
		"fallback": `{"model":{"type":"BPE","byte_fallback":true,"vocab":{}}}`,
	}
	for name, s := range bad {
		if _, err := ParseTokenizerJSON([]byte(s)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	for name, pair := range map[string][2]string{
		"regex":      {`\\p{N}{1,3}`, `\\p{N}+`},
		"bytelevel":  {`"use_regex": false`, `"use_regex": true`},
		"normalizer": {`"normalizer": null`, `"normalizer": {"type": "NFC"}`},
		"suffix":     {`"end_of_word_suffix": null`, `"end_of_word_suffix": "</w>"`},
	} {
		mod := bytes.Replace(good, []byte(pair[0]), []byte(pair[1]), 1)
		if bytes.Equal(mod, good) {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if _, err := ParseTokenizerJSON(mod); err == nil {
			t.Errorf("%s: unsupported tokenizer.json accepted", name)
		}
	}
	// merges in the newer [["a","b"], ...] form load to the same tokenizer
	var doc map[string]any
	if err := json.Unmarshal(good, &doc); err != nil {
		t.Fatal(err)
	}
	model := doc["model"].(map[string]any)
	var pairs [][]string
	for _, m := range model["merges"].([]any) {
		a, b, _ := strings.Cut(m.(string), " ")
		pairs = append(pairs, []string{a, b})
	}
	model["merges"] = pairs
	pairJSON, _ := json.Marshal(doc)
	pt, err := ParseTokenizerJSON(pairJSON)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := ParseTokenizerJSON(good)
	if !reflect.DeepEqual(pt.mergeList, ref.mergeList) || len(ref.mergeList) != 120 {
		t.Fatal("pair-form merges differ")
	}
	for _, s := range roundTripTexts {
		if !reflect.DeepEqual(pt.Encode(s, true), ref.Encode(s, true)) {
			t.Fatalf("pair-form tokenizer differs on %q", s)
		}
	}
	broken := bytes.Replace(good, []byte(`"Ġ t"`), []byte(`"Ġ zzzz"`), 1)
	if _, err := ParseTokenizerJSON(broken); err == nil {
		t.Error("merge with unknown part accepted")
	}
}

// smallTrained is a 262-token tokenizer (6 merges, 2 specials) used to seed the fuzzers with
// small valid files.
func smallTrained(tb testing.TB) *Tokenizer {
	tk, err := TrainBPE([][]byte{[]byte("the cat and the hat and the bat, the end")}, 264, []string{"<s>", "</s>"})
	if err != nil {
		tb.Fatal(err)
	}
	return tk
}

func TestTokenizerSparseIDs(t *testing.T) {
	ranks, err := ParseTiktoken([]byte("IQ== 16000000\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTiktokenTokenizer(ranks, nil); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("sparse ids: %v", err)
	}
}

func FuzzTokenizerJSON(f *testing.F) {
	// Small seeds (the byte alphabet and two merges, about 3 KB; a hand-written one) so the
	// fuzzer executes instead of minimizing large inputs (issue 16, item 10).
	if tk, err := TrainBPE([][]byte{[]byte("the cat")}, 258, []string{"<s>"}); err == nil {
		if js, err := tk.MarshalTokenizerJSON(); err == nil {
			f.Add(js)
		}
	}
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0},"merges":["a a"]},"added_tokens":[{"id":1,"content":"<s>"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := ParseTokenizerJSON(data)
		if err != nil {
			return
		}
		s := []byte("Hello <s> wörld 123 \xff")
		ids := tk.EncodeBytes(s, false)
		dec, err := tk.Decode(ids)
		if err != nil || !bytes.Equal(dec, s) {
			t.Fatalf("round trip %q %v", dec, err)
		}
	})
}

func FuzzTiktokenFile(f *testing.F) {
	p := filepath.Join(f.TempDir(), "t.model")
	if err := smallTrained(f).WriteTiktoken(p); err == nil {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	if good, err := os.ReadFile(filepath.Join(tinyDir, "tokenizer.model")); err == nil {
		f.Add(good)
	}
	f.Add([]byte("IQ== 0\nIg== 1\n"))
	f.Add([]byte("!!! x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ranks, err := ParseTiktoken(data)
		if err != nil {
			return
		}
		tk, err := NewTiktokenTokenizer(ranks, nil)
		if err != nil {
			return
		}
		s := []byte("Hello wörld 123 \xff  \n")
		dec, err := tk.Decode(tk.EncodeBytes(s, false))
		if err != nil || !bytes.Equal(dec, s) {
			t.Fatalf("round trip %q %v", dec, err)
		}
	})
}

func FuzzEncode(f *testing.F) {
	tk, err := LoadTiktoken(filepath.Join(tinyDir, "tokenizer.model"))
	if err != nil {
		f.Fatal(err)
	}
	hf, err := LoadTokenizerJSON(filepath.Join(tinyDir, "tokenizer.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range roundTripTexts {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("<|begin_of_text|>hi<|eot_id|>"), true)
	f.Fuzz(func(t *testing.T, data []byte, special bool) {
		ids := tk.EncodeBytes(data, special)
		dec, err := tk.Decode(ids)
		if err != nil || !bytes.Equal(dec, data) {
			t.Fatalf("round trip %q -> %q (%v)", data, dec, err)
		}
		if !reflect.DeepEqual(hf.EncodeBytes(data, special), ids) {
			t.Fatalf("rank BPE and merge-list BPE disagree on %q", data)
		}
		var cat []byte
		for _, p := range PreTokenize(data) {
			if len(p) == 0 {
				t.Fatal("empty pre-token")
			}
			cat = append(cat, p...)
		}
		if !bytes.Equal(cat, data) {
			t.Fatal("pre-tokens do not concatenate to the input")
		}
	})
}

func TestTokenizerConcurrent(t *testing.T) {
	tk := tinyTokenizers(t)["tiktoken"]
	want := make([][]int, len(roundTripTexts))
	for i, s := range roundTripTexts {
		want[i] = tk.Encode(s, true)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for it := 0; it < 20; it++ {
				i := (g + it) % len(roundTripTexts)
				if got := tk.Encode(roundTripTexts[i], true); !reflect.DeepEqual(got, want[i]) {
					errs <- roundTripTexts[i]
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent encode differs on %q", s)
	}
}
