package llama

import (
	"bytes"
	"fmt"
)

// TrainMinPairCount is the minimum number of occurrences of a pair for TrainBPE to merge it.
const TrainMinPairCount = 2

// TrainBPE learns a byte-level BPE vocabulary over LLaMA-3 pre-tokens of corpus, with the
// LLaMA-3 conventions: ids 0..255 are the 256 bytes in GPT-2 bytes_to_unicode order, then
// merged tokens in merge order (rank = id), then the specials in the given order. vocabSize
// counts all of them. Special-token texts occurring in the corpus are cut out before training.
//
// Each merge takes the most frequent adjacent pair (ties: smallest left id, then right id)
// subject to the rule that every multi-byte token splits into two vocabulary tokens in
// exactly one way (a pair whose result already exists, has a second split, or would give an
// existing token a second split is skipped for good). Under that rule rank BPE and
// merge-list BPE agree, so the tiktoken and tokenizer.json files it writes encode alike.
// Training stops early, with a smaller vocabulary, when no pair occurs TrainMinPairCount times.
func TrainBPE(corpus [][]byte, vocabSize int, specials []string) (*Tokenizer, error) {
	if vocabSize < 256+len(specials) {
		return nil, fmt.Errorf("llama: train bpe: vocab size %d < 256 bytes + %d specials", vocabSize, len(specials))
	}
	if vocabSize > 1<<20 {
		return nil, fmt.Errorf("llama: train bpe: vocab size %d too large", vocabSize)
	}
	seenSpecial := map[string]bool{}
	for _, s := range specials {
		if s == "" || seenSpecial[s] {
			return nil, fmt.Errorf("llama: train bpe: empty or duplicate special %q", s)
		}
		seenSpecial[s] = true
	}
	// Vocabulary: bytes first.
	tokens := make([][]byte, 0, vocabSize)
	vocab := map[string]int32{}
	for _, b := range byteOrder {
		vocab[string([]byte{b})] = int32(len(tokens))
		tokens = append(tokens, []byte{b})
	}
	// Count pre-tokens, with specials cut out.
	counts := map[string]int{}
	for _, doc := range corpus {
		for _, part := range splitSpecials(doc, specials) {
			preTokenize(part, func(p []byte) { counts[string(p)]++ })
		}
	}
	type word struct {
		syms  []int32
		count int
	}
	words := make([]word, 0, len(counts))
	for w, c := range counts {
		syms := make([]int32, len(w))
		for i := 0; i < len(w); i++ {
			syms[i] = vocab[w[i:i+1]]
		}
		words = append(words, word{syms, c})
	}
	// Pair counts are kept incrementally: where[k] lists the words that contained pair k
	// when it was counted (stale entries are harmless, words are rescanned).
	banned := map[mergeKey]bool{}
	target := vocabSize - len(specials)
	pairCounts := map[mergeKey]int{}
	where := map[mergeKey][]int32{}
	addWord := func(wi int, sign int) {
		w := words[wi]
		for i := 0; i+1 < len(w.syms); i++ {
			k := mergeKey{w.syms[i], w.syms[i+1]}
			c := pairCounts[k] + sign*w.count
			if c == 0 {
				delete(pairCounts, k)
			} else {
				pairCounts[k] = c
			}
			if sign > 0 {
				where[k] = append(where[k], int32(wi))
			}
		}
	}
	for wi := range words {
		addWord(wi, +1)
	}
	for len(tokens) < target {
		var best mergeKey
		bestCount := 0
		for {
			bestCount = 0
			for k, c := range pairCounts {
				if c < TrainMinPairCount || banned[k] {
					continue
				}
				if c > bestCount || (c == bestCount && (k.a < best.a || (k.a == best.a && k.b < best.b))) {
					best, bestCount = k, c
				}
			}
			if bestCount == 0 || uniqueSplitOK(tokens, vocab, tokens[best.a], tokens[best.b]) {
				break
			}
			banned[best] = true
		}
		if bestCount == 0 {
			break
		}
		merged := append(append([]byte(nil), tokens[best.a]...), tokens[best.b]...)
		id := int32(len(tokens))
		vocab[string(merged)] = id
		tokens = append(tokens, merged)
		list := where[best]
		delete(where, best)
		seen := map[int32]bool{}
		for _, wi := range list {
			if seen[wi] {
				continue
			}
			seen[wi] = true
			s := words[wi].syms
			has := false
			for i := 0; i+1 < len(s); i++ {
				if s[i] == best.a && s[i+1] == best.b {
					has = true
					break
				}
			}
			if !has {
				continue
			}
			addWord(int(wi), -1)
			out := make([]int32, 0, len(s))
			for i := 0; i < len(s); i++ {
				if i+1 < len(s) && s[i] == best.a && s[i+1] == best.b {
					out = append(out, id)
					i++
				} else {
					out = append(out, s[i])
				}
			}
			words[wi].syms = out
			addWord(int(wi), +1)
		}
	}
	ordinary := make(map[int][]byte, len(tokens))
	for i, b := range tokens {
		ordinary[i] = b
	}
	sp := map[string]int{}
	for i, s := range specials {
		sp[s] = len(tokens) + i
	}
	return NewTiktokenTokenizer(ordinary, sp)
}

// uniqueSplitOK reports whether adding the token a+b keeps every multi-byte token splittable
// into two vocabulary tokens in exactly one way.
func uniqueSplitOK(tokens [][]byte, vocab map[string]int32, a, b []byte) bool {
	t := append(append([]byte(nil), a...), b...)
	if _, ok := vocab[string(t)]; ok {
		return false
	}
	for k := 1; k < len(t); k++ {
		if k == len(a) {
			continue
		}
		_, l := vocab[string(t[:k])]
		_, r := vocab[string(t[k:])]
		if l && r {
			return false
		}
	}
	for _, u := range tokens {
		if len(u) <= len(t) {
			continue
		}
		if bytes.HasPrefix(u, t) {
			if _, ok := vocab[string(u[len(t):])]; ok {
				return false
			}
		}
		if bytes.HasSuffix(u, t) {
			if _, ok := vocab[string(u[:len(u)-len(t)])]; ok {
				return false
			}
		}
	}
	return true
}

// splitSpecials cuts occurrences of the special texts out of doc.
func splitSpecials(doc []byte, specials []string) [][]byte {
	if len(specials) == 0 {
		return [][]byte{doc}
	}
	var out [][]byte
	start := 0
	for i := 0; i < len(doc); {
		n := 0
		for _, s := range specials {
			if len(s) > n && bytes.HasPrefix(doc[i:], []byte(s)) {
				n = len(s)
			}
		}
		if n == 0 {
			i++
			continue
		}
		if i > start {
			out = append(out, doc[start:i])
		}
		i += n
		start = i
	}
	if start < len(doc) {
		out = append(out, doc[start:])
	}
	return out
}
