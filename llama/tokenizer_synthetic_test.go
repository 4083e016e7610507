package llama

import "testing"

func TestSyntheticTokenizer1b(t *testing.T) {
	tok, err := SyntheticTokenizer(128256)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 128256 || tok.NumOrdinary() != 128000 {
		t.Fatalf("vocab %d, ordinary %d", tok.VocabSize(), tok.NumOrdinary())
	}
	if id, ok := tok.SpecialID("<|eot_id|>"); !ok || id != 128009 {
		t.Errorf("<|eot_id|> = %d %v", id, ok)
	}
	text := "Once upon a time <|eot_id|> \x00\xff"
	ids := tok.Encode(text, true)
	if s, _ := tok.Decode(ids); string(s) != text {
		t.Errorf("round trip %q", s)
	}
}

func TestSyntheticTokenizerSizes(t *testing.T) {
	tok, err := SyntheticTokenizer(8192)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 8192 || len(tok.Specials()) != 0 {
		t.Fatalf("vocab %d, %d specials", tok.VocabSize(), len(tok.Specials()))
	}
	for _, v := range []int{255, 256 + 256*256 + 256*256*256 + 1} {
		if _, err := SyntheticTokenizer(v); err == nil {
			t.Errorf("vocabulary %d accepted", v)
		}
	}
}
