package llama

// bytesToUnicodeTable is GPT-2's reversible byte -> printable rune map, and byteOrder lists the
// bytes in the order of that construction (printable bytes first), which is also the id order
// of the 256 byte tokens in LLaMA-3 vocabularies.
var (
	bytesToUnicodeTable [256]rune
	unicodeToByteTable  map[rune]byte
	byteOrder           [256]byte
)

func init() {
	unicodeToByteTable = make(map[rune]byte, 256)
	k := 0
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	for b := 0; b < 256; b++ {
		if printable(b) {
			bytesToUnicodeTable[b] = rune(b)
			byteOrder[k] = byte(b)
			k++
		}
	}
	extra := 0
	for b := 0; b < 256; b++ {
		if !printable(b) {
			bytesToUnicodeTable[b] = rune(256 + extra)
			extra++
			byteOrder[k] = byte(b)
			k++
		}
	}
	for b, r := range bytesToUnicodeTable {
		unicodeToByteTable[r] = byte(b)
	}
}

// byteLevelEncode maps raw bytes to the GPT-2 byte-level string.
func byteLevelEncode(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = bytesToUnicodeTable[c]
	}
	return string(rs)
}

// byteLevelDecode maps a GPT-2 byte-level string back to bytes; ok=false if a rune is not in the table.
func byteLevelDecode(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := unicodeToByteTable[r]
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

// bpeMode selects how merge priorities are obtained.
type bpeMode int

const (
	// bpeRanks: tiktoken semantics, the priority of merging adjacent parts a,b is the rank
	// (= id) of the token a+b.
	bpeRanks bpeMode = iota
	// bpeMerges: merge-list semantics (HF tokenizers / llama.cpp), the priority is the index
	// of the pair (a,b) in the merges list.
	bpeMerges
)

type mergeKey struct{ a, b int32 }

type mergeVal struct {
	rank   int32
	result int32
}

// bpe splits one pre-token into token ids. The caller has checked the whole piece is not a
// token itself (ignore_merges / tiktoken fast path).
func (t *Tokenizer) bpe(piece []byte) []int {
	if len(piece) >= bpeHeapThreshold {
		return t.bpeLong(piece)
	}
	return t.bpeShort(piece)
}

// bpeShort is the direct O(n^2) merge loop, fastest for short pieces.
func (t *Tokenizer) bpeShort(piece []byte) []int {
	// parts[i] = start offset; ids[i] = token id of piece[parts[i]:parts[i+1]].
	n := len(piece)
	parts := make([]int, n+1)
	ids := make([]int32, n)
	for i := 0; i <= n; i++ {
		parts[i] = i
	}
	for i := 0; i < n; i++ {
		ids[i] = int32(t.byteID[piece[i]])
	}
	const none = int32(1<<31 - 1)
	rankOf := func(i int) (int32, int32) { // merge parts i and i+1 -> (priority, merged id)
		switch t.mode {
		case bpeMerges:
			if v, ok := t.merges[mergeKey{ids[i], ids[i+1]}]; ok {
				return v.rank, v.result
			}
		default:
			if id, ok := t.encoder[string(piece[parts[i]:parts[i+2]])]; ok {
				return int32(id), int32(id)
			}
		}
		return none, -1
	}
	m := n // number of parts
	ranks := make([]int32, n)
	results := make([]int32, n)
	for i := 0; i+1 < m; i++ {
		ranks[i], results[i] = rankOf(i)
	}
	for m > 1 {
		best, bi := none, -1
		for i := 0; i+1 < m; i++ {
			if ranks[i] < best {
				best, bi = ranks[i], i
			}
		}
		if bi < 0 {
			break
		}
		ids[bi] = results[bi]
		copy(parts[bi+1:], parts[bi+2:m+1])
		copy(ids[bi+1:], ids[bi+2:m])
		copy(ranks[bi+1:], ranks[bi+2:m])
		copy(results[bi+1:], results[bi+2:m])
		m--
		if bi+1 < m {
			ranks[bi], results[bi] = rankOf(bi)
		} else {
			ranks[bi] = none
		}
		if bi > 0 {
			ranks[bi-1], results[bi-1] = rankOf(bi - 1)
		}
	}
	out := make([]int, m)
	for i := 0; i < m; i++ {
		out[i] = int(ids[i])
	}
	return out
}
