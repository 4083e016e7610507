package llama

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/popi-go/popi/internal/atomicfile"
)

// ordinaryIDs returns the ids of ordinary tokens in increasing order.
func (t *Tokenizer) ordinaryIDs() []int {
	ids := make([]int, 0, len(t.encoder))
	for id := range t.tokens {
		if t.tokens[id] != nil && !t.special[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// WriteTiktoken atomically writes the ordinary tokens as a tiktoken file ("base64 rank" per
// line, rank = id). Special tokens are not part of the format; keep a tokenizer_config.json
// next to it (WriteTokenizerConfig) so LoadTiktoken finds them. Only valid for rank
// tokenizers whose ordinary ids are 0..n-1 (tokenizer.model, TrainBPE).
func (t *Tokenizer) WriteTiktoken(path string) error {
	ids := t.ordinaryIDs()
	for i, id := range ids {
		if id != i {
			return fmt.Errorf("llama: write tiktoken: ordinary ids are not contiguous from 0 (id %d at position %d)", id, i)
		}
	}
	if t.mode != bpeRanks {
		if err := t.checkRanksEqualMerges(); err != nil {
			return fmt.Errorf("llama: write tiktoken: %w", err)
		}
	}
	return atomicfile.Write(path, 0o644, func(f *os.File) error {
		w := bufio.NewWriter(f)
		for _, id := range ids {
			w.WriteString(base64.StdEncoding.EncodeToString(t.tokens[id]))
			w.WriteByte(' ')
			w.WriteString(strconv.Itoa(id))
			w.WriteByte('\n')
		}
		return w.Flush()
	})
}

// checkRanksEqualMerges verifies that a merge-list tokenizer can be saved as ranks: merge i
// produces a token whose id increases with i.
func (t *Tokenizer) checkRanksEqualMerges() error {
	last := int32(-1)
	for _, k := range t.mergeList {
		r := t.merges[k].result
		if r <= last {
			return fmt.Errorf("merge order is not id order (token %d after %d)", r, last)
		}
		last = r
	}
	return nil
}

// mergesForJSON returns the merge list as byte-level string pairs: the loaded list for
// merge-list tokenizers; for rank tokenizers, every split of each multi-byte token into two
// vocabulary tokens, tokens in rank order (the tiktoken -> tokenizers conversion).
func (t *Tokenizer) mergesForJSON() ([][2]string, error) {
	var out [][2]string
	if t.mode == bpeMerges {
		for _, k := range t.mergeList {
			out = append(out, [2]string{byteLevelEncode(t.tokens[k.a]), byteLevelEncode(t.tokens[k.b])})
		}
		return out, nil
	}
	for _, id := range t.ordinaryIDs() {
		tok := t.tokens[id]
		if len(tok) < 2 {
			continue
		}
		type split struct{ l, r int }
		var splits []split
		for k := 1; k < len(tok); k++ {
			l, okL := t.encoder[string(tok[:k])]
			r, okR := t.encoder[string(tok[k:])]
			if okL && okR && l < id && r < id {
				splits = append(splits, split{l, r})
			}
		}
		if len(splits) == 0 {
			return nil, fmt.Errorf("token %d %q cannot be built from two lower-ranked tokens", id, tok)
		}
		sort.Slice(splits, func(i, j int) bool {
			if splits[i].l != splits[j].l {
				return splits[i].l < splits[j].l
			}
			return splits[i].r < splits[j].r
		})
		for _, s := range splits {
			out = append(out, [2]string{byteLevelEncode(t.tokens[s.l]), byteLevelEncode(t.tokens[s.r])})
		}
	}
	return out, nil
}

func (t *Tokenizer) specialIDs() []int {
	var ids []int
	for id, sp := range t.special {
		if sp {
			ids = append(ids, id)
		}
	}
	return ids
}

// llama3PreTokenizerRegex is the LLaMA-3 split pattern, as written into tokenizer.json.
const llama3PreTokenizerRegex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// MarshalTokenizerJSON encodes the tokenizer in HF tokenizers format (byte-level BPE with
// ignore_merges, the LLaMA-3 Split pre-tokenizer, ByteLevel decoder, and a post-processor
// that prepends <|begin_of_text|> when that special exists).
func (t *Tokenizer) MarshalTokenizerJSON() ([]byte, error) {
	merges, err := t.mergesForJSON()
	if err != nil {
		return nil, fmt.Errorf("llama: tokenizer.json: %w", err)
	}
	var b bytes.Buffer
	js := func(v any) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(v)
		b.Write(bytes.TrimRight(buf.Bytes(), "\n"))
	}
	b.WriteString("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
	for i, id := range t.specialIDs() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    {\"id\": ")
		b.WriteString(strconv.Itoa(id))
		b.WriteString(", \"content\": ")
		js(string(t.tokens[id]))
		b.WriteString(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}")
	}
	b.WriteString("\n  ],\n  \"normalizer\": null,\n  \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": ")
	js(llama3PreTokenizerRegex)
	b.WriteString("}, \"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": false}]},\n")
	if bos, ok := t.specials[chatBOS]; ok {
		b.WriteString("  \"post_processor\": {\"type\": \"Sequence\", \"processors\": [{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true}, {\"type\": \"TemplateProcessing\", ")
		fmt.Fprintf(&b, `"single": [{"SpecialToken": {"id": "%[1]s", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], `+
			`"pair": [{"SpecialToken": {"id": "%[1]s", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "%[1]s", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}], `+
			`"special_tokens": {"%[1]s": {"id": "%[1]s", "ids": [%[2]d], "tokens": ["%[1]s"]}}}]},`+"\n", chatBOS, bos)
	} else {
		b.WriteString("  \"post_processor\": null,\n")
	}
	b.WriteString("  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n")
	b.WriteString("  \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": true,\n    \"vocab\": {")
	for i, id := range t.ordinaryIDs() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n      ")
		js(byteLevelEncode(t.tokens[id]))
		b.WriteString(": ")
		b.WriteString(strconv.Itoa(id))
	}
	b.WriteString("\n    },\n    \"merges\": [")
	for i, m := range merges {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n      ")
		js(m[0] + " " + m[1])
	}
	b.WriteString("\n    ]\n  }\n}\n")
	return b.Bytes(), nil
}

// WriteTokenizerJSON atomically writes tokenizer.json (see MarshalTokenizerJSON).
func (t *Tokenizer) WriteTokenizerJSON(path string) error {
	data, err := t.MarshalTokenizerJSON()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// WriteTokenizerConfig atomically writes a HF tokenizer_config.json: added_tokens_decoder
// with every special, bos/eos token texts (omitted when empty), the chat template if given.
func (t *Tokenizer) WriteTokenizerConfig(path, bosToken, eosToken, chatTemplate string) error {
	for _, s := range []string{bosToken, eosToken} {
		if _, ok := t.specials[s]; s != "" && !ok {
			return fmt.Errorf("llama: tokenizer_config.json: %q is not a special token", s)
		}
	}
	type added struct {
		Content    string `json:"content"`
		LStrip     bool   `json:"lstrip"`
		Normalized bool   `json:"normalized"`
		RStrip     bool   `json:"rstrip"`
		SingleWord bool   `json:"single_word"`
		Special    bool   `json:"special"`
	}
	dec := map[string]added{}
	for _, id := range t.specialIDs() {
		dec[strconv.Itoa(id)] = added{Content: string(t.tokens[id]), Special: true}
	}
	cfg := map[string]any{
		"added_tokens_decoder":         dec,
		"clean_up_tokenization_spaces": true,
		"model_input_names":            []string{"input_ids", "attention_mask"},
		"tokenizer_class":              "PreTrainedTokenizerFast",
	}
	if bosToken != "" {
		cfg["bos_token"] = bosToken
	}
	if eosToken != "" {
		cfg["eos_token"] = eosToken
	}
	if chatTemplate != "" {
		cfg["chat_template"] = chatTemplate
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(cfg); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}

// SaveHF writes tokenizer.json, tokenizer_config.json (bos <|begin_of_text|> and eos
// <|eot_id|> when those specials exist) and, for rank tokenizers, tokenizer.model into dir.
func (t *Tokenizer) SaveHF(dir string) error {
	if err := t.WriteTokenizerJSON(filepath.Join(dir, "tokenizer.json")); err != nil {
		return err
	}
	bos, eos := "", ""
	if _, ok := t.specials[chatBOS]; ok {
		bos = chatBOS
	}
	if _, ok := t.specials[chatEOT]; ok {
		eos = chatEOT
	}
	if err := t.WriteTokenizerConfig(filepath.Join(dir, "tokenizer_config.json"), bos, eos, ""); err != nil {
		return err
	}
	if t.mode == bpeRanks {
		return t.WriteTiktoken(filepath.Join(dir, "tokenizer.model"))
	}
	return nil
}
