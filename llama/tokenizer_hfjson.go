package llama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// ParseTokenizerJSON loads a HF tokenizers tokenizer.json with a byte-level BPE model
// (vocab in GPT-2 byte-to-unicode strings, merges as "a b" strings or [a, b] pairs,
// added_tokens as specials). Encoding uses the merge list (HF semantics) after checking
// whole pre-tokens against the vocabulary (ignore_merges, as in LLaMA-3).
func ParseTokenizerJSON(data []byte) (*Tokenizer, error) {
	var tj struct {
		Model struct {
			Type         string          `json:"type"`
			Vocab        map[string]int  `json:"vocab"`
			Merges       json.RawMessage `json:"merges"`
			ByteFallback bool            `json:"byte_fallback"`
			IgnoreMerges *bool           `json:"ignore_merges"`
			Prefix       *string         `json:"continuing_subword_prefix"`
			Suffix       *string         `json:"end_of_word_suffix"`
			Dropout      *float64        `json:"dropout"`
		} `json:"model"`
		AddedTokens  []hfAddedToken  `json:"added_tokens"`
		Normalizer   json.RawMessage `json:"normalizer"`
		PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	}
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, fmt.Errorf("llama: tokenizer.json: %w", err)
	}
	if n := bytes.TrimSpace(tj.Normalizer); len(n) > 0 && !bytes.Equal(n, []byte("null")) {
		return nil, fmt.Errorf("llama: tokenizer.json: normalizers are not supported (LLaMA-3 has none)")
	}
	if err := checkLlama3PreTokenizer(tj.PreTokenizer); err != nil {
		return nil, err
	}
	m := tj.Model
	if m.Type != "BPE" {
		return nil, fmt.Errorf("llama: tokenizer.json: model type %q is not supported (want BPE)", m.Type)
	}
	if m.ByteFallback {
		return nil, fmt.Errorf("llama: tokenizer.json: byte_fallback BPE (SentencePiece style) is not supported")
	}
	if (m.Prefix != nil && *m.Prefix != "") || (m.Suffix != nil && *m.Suffix != "") || (m.Dropout != nil && *m.Dropout != 0) {
		return nil, fmt.Errorf("llama: tokenizer.json: continuing_subword_prefix, end_of_word_suffix and dropout are not supported")
	}
	if m.IgnoreMerges != nil && !*m.IgnoreMerges {
		return nil, fmt.Errorf("llama: tokenizer.json: ignore_merges=false is not supported (LLaMA-3 uses true)")
	}
	specials, err := addedTokenMap(tj.AddedTokens)
	if err != nil {
		return nil, err
	}
	ordinary := make(map[int][]byte, len(m.Vocab))
	for s, id := range m.Vocab {
		if sid, ok := specials[s]; ok {
			if sid != id {
				return nil, fmt.Errorf("llama: tokenizer.json: %q has id %d in vocab but %d in added_tokens", s, id, sid)
			}
			continue
		}
		b, ok := byteLevelDecode(s)
		if !ok {
			return nil, fmt.Errorf("llama: tokenizer.json: vocab entry %q is not a byte-level string", s)
		}
		if _, dup := ordinary[id]; dup {
			return nil, fmt.Errorf("llama: tokenizer.json: id %d used twice in vocab", id)
		}
		ordinary[id] = b
	}
	t, err := newTokenizer(ordinary, specials)
	if err != nil {
		return nil, err
	}
	pairs, err := parseMerges(m.Merges)
	if err != nil {
		return nil, err
	}
	if err := t.setMerges(pairs, func(s string) (int, bool) { id, ok := m.Vocab[s]; return id, ok }); err != nil {
		return nil, fmt.Errorf("llama: tokenizer.json: %w", err)
	}
	return t, nil
}

// parseMerges accepts ["a b", ...] or [["a","b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		out := make([][2]string, len(strs))
		for i, s := range strs {
			a, b, ok := strings.Cut(s, " ")
			if !ok || a == "" || b == "" || strings.Contains(b, " ") {
				return nil, fmt.Errorf("llama: tokenizer.json: bad merge %q", s)
			}
			out[i] = [2]string{a, b}
		}
		return out, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("llama: tokenizer.json: merges: %w", err)
	}
	out := make([][2]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("llama: tokenizer.json: merge %d has %d parts", i, len(p))
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}

// setMerges switches t to merge-list BPE with the given pairs (byte-level strings) in rank
// order; lookup maps a byte-level string to its id.
func (t *Tokenizer) setMerges(pairs [][2]string, lookup func(string) (int, bool)) error {
	t.merges = make(map[mergeKey]mergeVal, len(pairs))
	t.mergeList = make([]mergeKey, 0, len(pairs))
	for i, p := range pairs {
		a, okA := lookup(p[0])
		b, okB := lookup(p[1])
		r, okR := lookup(p[0] + p[1])
		if !okA || !okB || !okR {
			return fmt.Errorf("merge %d (%q %q): parts or result not in vocab", i, p[0], p[1])
		}
		if t.IsSpecial(a) || t.IsSpecial(b) || t.IsSpecial(r) {
			return fmt.Errorf("merge %d (%q %q) involves a special token", i, p[0], p[1])
		}
		k := mergeKey{int32(a), int32(b)}
		if _, dup := t.merges[k]; dup {
			continue // HF keeps the first occurrence's rank
		}
		t.merges[k] = mergeVal{rank: int32(i), result: int32(r)}
		t.mergeList = append(t.mergeList, k)
	}
	t.mode = bpeMerges
	return nil
}

// LoadTokenizerJSON reads a HF tokenizer.json file (see ParseTokenizerJSON).
func LoadTokenizerJSON(path string) (*Tokenizer, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, fmt.Errorf("llama: tokenizer: %w", err)
	}
	t, err := ParseTokenizerJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

// LoadTokenizer loads the tokenizer of a model: path is a directory holding tokenizer.json
// (preferred) or tokenizer.model, one of those files, or a .gguf file.
func LoadTokenizer(path string) (*Tokenizer, error) {
	switch {
	case strings.HasSuffix(strings.ToLower(path), ".gguf"):
		g, err := OpenGGUF(path)
		if err != nil {
			return nil, err
		}
		defer g.Close()
		return g.Tokenizer()
	case strings.HasSuffix(path, ".json"):
		return LoadTokenizerJSON(path)
	case strings.HasSuffix(path, ".model"):
		return LoadTiktoken(path)
	}
	if p := filepath.Join(path, "tokenizer.json"); fileExists(p) {
		return LoadTokenizerJSON(p)
	}
	if p := filepath.Join(path, "tokenizer.model"); fileExists(p) {
		return LoadTiktoken(p)
	}
	return nil, fmt.Errorf("llama: tokenizer: %s has no tokenizer.json or tokenizer.model", path)
}

type hfPreTok struct {
	Type          string     `json:"type"`
	Pretokenizers []hfPreTok `json:"pretokenizers"`
	Pattern       *struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior       string `json:"behavior"`
	Invert         bool   `json:"invert"`
	UseRegex       *bool  `json:"use_regex"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
}

// checkLlama3PreTokenizer accepts only the LLaMA-3 pre-tokenizer, Sequence[Split(LLaMA-3
// regex, Isolated), ByteLevel(use_regex false)], because that is what Encode implements;
// any other pre-tokenizer would silently give different ids.
func checkLlama3PreTokenizer(raw json.RawMessage) error {
	var p hfPreTok
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("llama: tokenizer.json: pre_tokenizer: %w", err)
	}
	bad := fmt.Errorf("llama: tokenizer.json: unsupported pre_tokenizer (want Sequence[Split(LLaMA-3 regex, Isolated), ByteLevel(use_regex=false)])")
	if p.Type != "Sequence" || len(p.Pretokenizers) != 2 {
		return bad
	}
	sp, bl := p.Pretokenizers[0], p.Pretokenizers[1]
	if sp.Type != "Split" || sp.Pattern == nil || sp.Pattern.Regex == nil || *sp.Pattern.Regex != llama3PreTokenizerRegex ||
		sp.Behavior != "Isolated" || sp.Invert {
		return bad
	}
	if bl.Type != "ByteLevel" || bl.UseRegex == nil || *bl.UseRegex || bl.AddPrefixSpace {
		return bad
	}
	return nil
}
