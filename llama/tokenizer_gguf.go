package llama

import "fmt"

// Tokenizer builds the tokenizer stored in a GGUF file's metadata (tokenizer.ggml.model
// "gpt2": tokens as byte-level strings, token_type with 3 = control / 4 = user-defined as
// specials, merges as "a b"). Encoding uses the merge list, as llama.cpp does.
func (g *GGUF) Tokenizer() (*Tokenizer, error) {
	model, _ := g.String("tokenizer.ggml.model")
	if model != "gpt2" {
		return nil, fmt.Errorf("llama: gguf: tokenizer model %q is not supported (want gpt2 byte-level BPE)", model)
	}
	if pre, _ := g.String("tokenizer.ggml.pre"); pre != "llama-bpe" {
		return nil, fmt.Errorf("llama: gguf: tokenizer.ggml.pre %q is not supported (want llama-bpe, the LLaMA-3 pre-tokenizer)", pre)
	}
	tokens, ok := g.Strings("tokenizer.ggml.tokens")
	if !ok || len(tokens) == 0 {
		return nil, fmt.Errorf("llama: gguf: missing tokenizer.ggml.tokens")
	}
	types, ok := g.Ints("tokenizer.ggml.token_type")
	if !ok || len(types) != len(tokens) {
		return nil, fmt.Errorf("llama: gguf: tokenizer.ggml.token_type missing or of wrong length")
	}
	ordinary := map[int][]byte{}
	specials := map[string]int{}
	vocab := make(map[string]int, len(tokens))
	for id, s := range tokens {
		vocab[s] = id
		switch types[id] {
		case 3, 4: // control, user-defined
			if _, dup := specials[s]; dup {
				return nil, fmt.Errorf("llama: gguf: duplicate special token %q", s)
			}
			specials[s] = id
		case 1:
			b, ok := byteLevelDecode(s)
			if !ok {
				return nil, fmt.Errorf("llama: gguf: token %d %q is not a byte-level string", id, s)
			}
			ordinary[id] = b
		case 5: // unused: leave a hole
		default:
			return nil, fmt.Errorf("llama: gguf: token %d has unsupported type %d", id, types[id])
		}
	}
	t, err := newTokenizer(ordinary, specials)
	if err != nil {
		return nil, err
	}
	merges, _ := g.Strings("tokenizer.ggml.merges")
	raw := make([][2]string, len(merges))
	for i, m := range merges {
		var a, b string
		for k := 1; k < len(m); k++ {
			if m[k] == ' ' {
				a, b = m[:k], m[k+1:]
				break
			}
		}
		if a == "" || b == "" {
			return nil, fmt.Errorf("llama: gguf: bad merge %q", m)
		}
		raw[i] = [2]string{a, b}
	}
	lookup := func(s string) (int, bool) {
		id, ok := vocab[s]
		return id, ok && !t.IsSpecial(id) && t.Token(id) != nil
	}
	if err := t.setMerges(raw, lookup); err != nil {
		return nil, fmt.Errorf("llama: gguf: %w", err)
	}
	return t, nil
}
