package llama

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/popi-go/popi/internal/safefile"
)

// maxTokenizerFile caps tokenizer files we read into memory.
const maxTokenizerFile = 256 << 20

func readCapped(path string) ([]byte, error) {
	return safefile.ReadFile(path, maxTokenizerFile)
}

// ParseTiktoken parses tiktoken BPE ranks ("base64(token) rank" per line). Ranks must be
// unique; they become the token ids.
func ParseTiktoken(data []byte) (map[int][]byte, error) {
	out := map[int][]byte{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		l := bytes.TrimRight(sc.Bytes(), "\r")
		if len(l) == 0 {
			continue
		}
		sp := bytes.IndexByte(l, ' ')
		if sp < 0 || bytes.IndexByte(l[sp+1:], ' ') >= 0 {
			return nil, fmt.Errorf("line %d: want \"base64 rank\"", line)
		}
		tok, err := base64.StdEncoding.DecodeString(string(l[:sp]))
		if err != nil {
			return nil, fmt.Errorf("line %d: bad base64: %w", line, err)
		}
		if len(tok) == 0 {
			return nil, fmt.Errorf("line %d: empty token", line)
		}
		rank, err := strconv.Atoi(string(l[sp+1:]))
		if err != nil || rank < 0 || rank > 1<<24 {
			return nil, fmt.Errorf("line %d: bad rank %q", line, l[sp+1:])
		}
		if _, dup := out[rank]; dup {
			return nil, fmt.Errorf("line %d: duplicate rank %d", line, rank)
		}
		if seen[string(tok)] {
			return nil, fmt.Errorf("line %d: duplicate token %q", line, tok)
		}
		seen[string(tok)] = true
		out[rank] = tok
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no tokens")
	}
	return out, nil
}

// MetaLlama3Specials returns the 256 special tokens of the Llama 3.x tokenizer, numbered from
// base (128000 for the real vocabulary), with the names used by the HF release:
// <|begin_of_text|>, <|end_of_text|>, <|reserved_special_token_0|>, <|reserved_special_token_1|>,
// <|finetune_right_pad_id|>, <|reserved_special_token_2|>, <|start_header_id|>,
// <|end_header_id|>, <|eom_id|>, <|eot_id|>, <|python_tag|>, then
// <|reserved_special_token_3|> ... <|reserved_special_token_247|>.
func MetaLlama3Specials(base int) map[string]int {
	named := []string{"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
		"<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
		"<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"}
	m := make(map[string]int, 256)
	for i, s := range named {
		m[s] = base + i
	}
	for i := len(named); i < 256; i++ {
		m[fmt.Sprintf("<|reserved_special_token_%d|>", i-len(named)+3)] = base + i
	}
	return m
}

// NewTiktokenTokenizer builds a rank-BPE tokenizer from tiktoken ranks and specials.
func NewTiktokenTokenizer(ranks map[int][]byte, specials map[string]int) (*Tokenizer, error) {
	t, err := newTokenizer(ranks, specials)
	if err != nil {
		return nil, err
	}
	t.mode = bpeRanks
	return t, nil
}

// LoadTiktoken loads Meta's tokenizer.model (tiktoken format). Special tokens are taken from
// tokenizer_config.json (added_tokens_decoder) or tokenizer.json (added_tokens) in the same
// directory when present; otherwise the 256 Llama 3 specials are numbered after the ranks.
func LoadTiktoken(path string) (*Tokenizer, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, fmt.Errorf("llama: tokenizer: %w", err)
	}
	ranks, err := ParseTiktoken(data)
	if err != nil {
		return nil, fmt.Errorf("llama: tokenizer %s: %w", path, err)
	}
	specials, err := sidecarSpecials(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	if specials == nil {
		specials = MetaLlama3Specials(len(ranks))
	}
	t, err := NewTiktokenTokenizer(ranks, specials)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

// sidecarSpecials reads added tokens from tokenizer_config.json or tokenizer.json in dir;
// nil if neither file exists.
func sidecarSpecials(dir string) (map[string]int, error) {
	if p := filepath.Join(dir, "tokenizer_config.json"); fileExists(p) {
		data, err := readCapped(p)
		if err != nil {
			return nil, fmt.Errorf("llama: tokenizer: %w", err)
		}
		var cfg struct {
			AddedTokensDecoder map[string]struct {
				Content string `json:"content"`
			} `json:"added_tokens_decoder"`
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, fmt.Errorf("llama: tokenizer %s: %w", p, err)
		}
		if len(cfg.AddedTokensDecoder) > 0 {
			m := map[string]int{}
			for k, v := range cfg.AddedTokensDecoder {
				id, err := strconv.Atoi(k)
				if err != nil || id < 0 {
					return nil, fmt.Errorf("llama: tokenizer %s: bad added token id %q", p, k)
				}
				if _, dup := m[v.Content]; dup {
					return nil, fmt.Errorf("llama: tokenizer %s: duplicate added token %q", p, v.Content)
				}
				m[v.Content] = id
			}
			return m, nil
		}
	}
	if p := filepath.Join(dir, "tokenizer.json"); fileExists(p) {
		data, err := readCapped(p)
		if err != nil {
			return nil, fmt.Errorf("llama: tokenizer: %w", err)
		}
		var tj struct {
			AddedTokens []hfAddedToken `json:"added_tokens"`
		}
		if err := json.Unmarshal(data, &tj); err != nil {
			return nil, fmt.Errorf("llama: tokenizer %s: %w", p, err)
		}
		if len(tj.AddedTokens) > 0 {
			return addedTokenMap(tj.AddedTokens)
		}
	}
	return nil, nil
}

type hfAddedToken struct {
	ID      int    `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
}

func addedTokenMap(at []hfAddedToken) (map[string]int, error) {
	m := map[string]int{}
	for _, a := range at {
		if _, dup := m[a.Content]; dup {
			return nil, fmt.Errorf("llama: tokenizer: duplicate added token %q", a.Content)
		}
		m[a.Content] = a.ID
	}
	return m, nil
}
