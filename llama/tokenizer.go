package llama

import (
	"bytes"
	"fmt"
	"sort"
	"sync"
)

// Tokenizer is a LLaMA-3 style byte-level BPE tokenizer: the hand-written LLaMA-3
// pre-tokenizer, then BPE inside each pre-token, plus special (added) tokens that are never
// produced by BPE. It is safe for concurrent use.
type Tokenizer struct {
	mode     bpeMode
	encoder  map[string]int // token bytes -> id, ordinary tokens only
	tokens   [][]byte       // id -> bytes (specials: their text); nil for holes
	special  []bool         // id -> is special
	specials map[string]int // special text -> id
	// specialFirst maps a first byte to the special texts starting with it, longest first.
	specialFirst map[byte][]string
	byteID       [256]int
	merges       map[mergeKey]mergeVal // bpeMerges mode
	mergeList    []mergeKey            // merges in rank order (bpeMerges mode)

	mu    sync.Mutex
	cache map[string][]int
}

const maxTokenizerCache = 1 << 16

// newTokenizer builds a tokenizer from ordinary tokens (id -> bytes) and specials.
// Every single byte must be an ordinary token, ids must be unique and texts distinct.
func newTokenizer(ordinary map[int][]byte, specials map[string]int) (*Tokenizer, error) {
	maxID := -1
	for id := range ordinary {
		maxID = max(maxID, id)
	}
	for _, id := range specials {
		maxID = max(maxID, id)
	}
	if maxID < 0 {
		return nil, fmt.Errorf("llama: tokenizer: empty vocabulary")
	}
	// Ids index dense tables: refuse sparse id spaces (a tiny file must not make us allocate
	// for millions of ids).
	if n := len(ordinary) + len(specials); maxID > 1<<24 || maxID >= 2*n+1024 {
		return nil, fmt.Errorf("llama: tokenizer: id %d too large for %d tokens", maxID, n)
	}
	t := &Tokenizer{
		encoder:      make(map[string]int, len(ordinary)),
		tokens:       make([][]byte, maxID+1),
		special:      make([]bool, maxID+1),
		specials:     map[string]int{},
		specialFirst: map[byte][]string{},
		cache:        map[string][]int{},
	}
	for id, b := range ordinary {
		if id < 0 {
			return nil, fmt.Errorf("llama: tokenizer: negative id %d", id)
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("llama: tokenizer: token %d is empty", id)
		}
		if prev, dup := t.encoder[string(b)]; dup {
			return nil, fmt.Errorf("llama: tokenizer: tokens %d and %d have the same bytes %q", prev, id, b)
		}
		t.encoder[string(b)] = id
		t.tokens[id] = b
	}
	for b := 0; b < 256; b++ {
		id, ok := t.encoder[string([]byte{byte(b)})]
		if !ok {
			return nil, fmt.Errorf("llama: tokenizer: no token for byte %#02x (byte-level BPE needs all 256)", b)
		}
		t.byteID[b] = id
	}
	for s, id := range specials {
		if id < 0 {
			return nil, fmt.Errorf("llama: tokenizer: negative special id %d", id)
		}
		if s == "" {
			return nil, fmt.Errorf("llama: tokenizer: empty special token %d", id)
		}
		if t.tokens[id] != nil {
			return nil, fmt.Errorf("llama: tokenizer: special %q reuses id %d", s, id)
		}
		t.tokens[id] = []byte(s)
		t.special[id] = true
		t.specials[s] = id
		t.specialFirst[s[0]] = append(t.specialFirst[s[0]], s)
	}
	for k, v := range t.specialFirst {
		sort.Slice(v, func(i, j int) bool {
			if len(v[i]) != len(v[j]) {
				return len(v[i]) > len(v[j])
			}
			return v[i] < v[j]
		})
		t.specialFirst[k] = v
	}
	return t, nil
}

// VocabSize is one more than the largest id.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// NumOrdinary is the number of BPE (non-special) tokens.
func (t *Tokenizer) NumOrdinary() int { return len(t.encoder) }

// Token returns the bytes of a token (a special token's text), or nil for an unknown id.
func (t *Tokenizer) Token(id int) []byte {
	if id < 0 || id >= len(t.tokens) {
		return nil
	}
	return t.tokens[id]
}

// IsSpecial reports whether id is a special (added) token.
func (t *Tokenizer) IsSpecial(id int) bool { return id >= 0 && id < len(t.special) && t.special[id] }

// SpecialID returns the id of a special token text such as "<|eot_id|>".
func (t *Tokenizer) SpecialID(text string) (int, bool) {
	id, ok := t.specials[text]
	return id, ok
}

// Specials returns the special tokens, text -> id.
func (t *Tokenizer) Specials() map[string]int {
	m := make(map[string]int, len(t.specials))
	for k, v := range t.specials {
		m[k] = v
	}
	return m
}

// Encode tokenizes text. With parseSpecial, exact occurrences of special-token texts become
// their ids; otherwise they are ordinary text. No BOS is added (tiktoken semantics; HF's
// post-processor would prepend <|begin_of_text|>): callers or RenderChat add it.
func (t *Tokenizer) Encode(text string, parseSpecial bool) []int {
	return t.EncodeBytes([]byte(text), parseSpecial)
}

// EncodeBytes is Encode on raw bytes (invalid UTF-8 is kept byte for byte).
func (t *Tokenizer) EncodeBytes(text []byte, parseSpecial bool) []int {
	out := make([]int, 0, len(text)/3+1)
	if !parseSpecial || len(t.specials) == 0 {
		return t.encodeOrdinary(text, out)
	}
	start := 0
	for i := 0; i < len(text); {
		cands := t.specialFirst[text[i]]
		matched := ""
		for _, s := range cands {
			if bytes.HasPrefix(text[i:], []byte(s)) {
				matched = s
				break
			}
		}
		if matched == "" {
			i++
			continue
		}
		out = t.encodeOrdinary(text[start:i], out)
		out = append(out, t.specials[matched])
		i += len(matched)
		start = i
	}
	return t.encodeOrdinary(text[start:], out)
}

func (t *Tokenizer) encodeOrdinary(text []byte, out []int) []int {
	preTokenize(text, func(p []byte) {
		if id, ok := t.encoder[string(p)]; ok {
			out = append(out, id)
			return
		}
		out = append(out, t.encodePiece(p)...)
	})
	return out
}

func (t *Tokenizer) encodePiece(p []byte) []int {
	t.mu.Lock()
	ids, ok := t.cache[string(p)]
	t.mu.Unlock()
	if ok {
		return ids
	}
	ids = t.bpe(p)
	t.mu.Lock()
	if len(t.cache) >= maxTokenizerCache {
		clear(t.cache)
	}
	t.cache[string(p)] = ids
	t.mu.Unlock()
	return ids
}

// Decode concatenates the bytes of the tokens (special tokens as their text).
func (t *Tokenizer) Decode(ids []int) ([]byte, error) {
	var out []byte
	for _, id := range ids {
		b := t.Token(id)
		if b == nil {
			return nil, fmt.Errorf("llama: decode: unknown token id %d (vocabulary %d)", id, len(t.tokens))
		}
		out = append(out, b...)
	}
	return out, nil
}
