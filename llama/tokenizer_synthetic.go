package llama

import "fmt"

// SyntheticTokenizer builds a byte-level BPE vocabulary of exactly vocab ids without
// training: the 256 bytes, then two-byte and three-byte sequences in lexicographic order
// (every multi-byte token splits into lower-ranked tokens, so it is a valid rank BPE). A
// vocabulary of 128256 ends with the 256 Llama 3 specials at 128000 (MetaLlama3Specials),
// as the real one does. It gives random-weight benchmark models (ShapeConfig) a tokenizer
// of their vocabulary size, e.g. for cmd/export.
func SyntheticTokenizer(vocab int) (*Tokenizer, error) {
	nOrd := vocab
	var specials map[string]int
	if vocab == 128256 {
		nOrd = 128000
		specials = MetaLlama3Specials(nOrd)
	}
	if nOrd < 256 || nOrd > 256+256*256+256*256*256 {
		return nil, fmt.Errorf("llama: synthetic vocabulary of %d tokens is not supported", nOrd)
	}
	ranks := make(map[int][]byte, nOrd)
	id := 0
	add := func(b ...byte) bool {
		if id >= nOrd {
			return false
		}
		ranks[id] = append([]byte(nil), b...)
		id++
		return true
	}
	for a := 0; a < 256; a++ {
		add(byte(a))
	}
	for a := 0; a < 256 && id < nOrd; a++ {
		for b := 0; b < 256 && add(byte(a), byte(b)); b++ {
		}
	}
	for a := 0; a < 256 && id < nOrd; a++ {
		for b := 0; b < 256 && id < nOrd; b++ {
			for c := 0; c < 256 && add(byte(a), byte(b), byte(c)); c++ {
			}
		}
	}
	return NewTiktokenTokenizer(ranks, specials)
}
