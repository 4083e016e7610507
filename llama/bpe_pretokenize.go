package llama

import (
	"unicode"
	"unicode/utf8"
)

// Character classes used by the LLaMA-3 pre-tokenizer.
const (
	clsOther   = iota // anything else, including bytes of invalid UTF-8
	clsLetter         // \p{L}
	clsNumber         // \p{N}
	clsSpace          // \s (Unicode White_Space), except \r and \n
	clsNewline        // \r or \n (also \s)
)

// char is one decoded character: its class, rune (utf8.RuneError for an invalid byte) and width.
type char struct {
	r   rune
	w   int
	cls uint8
}

func classify(b []byte) char {
	r, w := utf8.DecodeRune(b)
	if r == utf8.RuneError && w <= 1 {
		return char{r: r, w: 1, cls: clsOther}
	}
	c := char{r: r, w: w}
	switch {
	case r == '\r' || r == '\n':
		c.cls = clsNewline
	case unicode.IsLetter(r):
		c.cls = clsLetter
	case unicode.IsNumber(r):
		c.cls = clsNumber
	case unicode.IsSpace(r):
		c.cls = clsSpace
	default:
		c.cls = clsOther
	}
	return c
}

func isWhite(c uint8) bool { return c == clsSpace || c == clsNewline }

// PreTokenize splits text into LLaMA-3 pre-tokens, the pieces matched by
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// with leftmost-first alternation and backtracking semantics. It works on raw bytes: a byte
// that is not part of valid UTF-8 is a character of its own that is neither letter, number
// nor space. The pieces are sub-slices of text and concatenate back to it exactly.
func PreTokenize(text []byte) [][]byte {
	var out [][]byte
	preTokenize(text, func(p []byte) { out = append(out, p) })
	return out
}

func preTokenize(text []byte, emit func([]byte)) {
	// Decode all characters once.
	chars := make([]char, 0, len(text))
	for i := 0; i < len(text); {
		c := classify(text[i:])
		chars = append(chars, c)
		i += c.w
	}
	pos := 0 // byte offset of chars[ci]
	for ci := 0; ci < len(chars); {
		n := matchAt(chars, ci)
		w := 0
		for k := ci; k < ci+n; k++ {
			w += chars[k].w
		}
		emit(text[pos : pos+w])
		pos += w
		ci += n
	}
}

// contraction reports the length in chars of a case-insensitive 's 't 're 've 'm 'll 'd at ci.
func contraction(chars []char, ci int) int {
	if chars[ci].r != '\'' || ci+1 >= len(chars) {
		return 0
	}
	lower := func(k int) rune {
		if k >= len(chars) {
			return -1
		}
		r := chars[k].r
		if r == 0x17F { // LATIN SMALL LETTER LONG S case-folds to s
			return 's'
		}
		if r == 0x212A { // KELVIN SIGN folds to k (not used, kept for completeness)
			return 'k'
		}
		return unicode.ToLower(r)
	}
	a := lower(ci + 1)
	switch a {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if lower(ci+2) == 'e' {
			return 3
		}
	case 'l':
		if lower(ci+2) == 'l' {
			return 3
		}
	}
	return 0
}

// matchAt returns the number of chars (>= 1) of the pre-token starting at chars[ci].
func matchAt(chars []char, ci int) int {
	n := len(chars)
	cls := func(k int) uint8 { return chars[k].cls }
	// 1. contractions
	if k := contraction(chars, ci); k > 0 {
		return k
	}
	// 2. [^\r\n\p{L}\p{N}]?\p{L}+
	{
		k := ci
		if c := cls(k); c != clsNewline && c != clsLetter && c != clsNumber && k+1 < n && cls(k+1) == clsLetter {
			k++
		}
		if cls(k) == clsLetter {
			for k < n && cls(k) == clsLetter {
				k++
			}
			return k - ci
		}
	}
	// 3. \p{N}{1,3}
	if cls(ci) == clsNumber {
		k := ci
		for k < n && k-ci < 3 && cls(k) == clsNumber {
			k++
		}
		return k - ci
	}
	// 4. ' '?[^\s\p{L}\p{N}]+[\r\n]*
	{
		k := ci
		if chars[k].r == ' ' && k+1 < n && cls(k+1) == clsOther {
			k++
		}
		if cls(k) == clsOther {
			for k < n && cls(k) == clsOther {
				k++
			}
			for k < n && cls(k) == clsNewline {
				k++
			}
			return k - ci
		}
	}
	// Remaining alternatives all start with whitespace; chars[ci] is whitespace here.
	end := ci
	lastNL := -1
	for end < n && isWhite(cls(end)) {
		if cls(end) == clsNewline {
			lastNL = end
		}
		end++
	}
	// 5. \s*[\r\n]+  : up to and including the last newline of the run
	if lastNL >= 0 {
		return lastNL + 1 - ci
	}
	// 6. \s+(?!\S)
	if end == n {
		return end - ci
	}
	if end-ci >= 2 {
		return end - 1 - ci
	}
	// 7. \s+
	return end - ci
}
