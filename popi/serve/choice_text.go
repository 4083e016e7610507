package serve

import (
	"strings"

	"github.com/popi-go/popi/llama"
)

// choiceText turns one completion's tokens into text: special tokens are skipped (as
// vLLM's skip_special_tokens), UTF-8 characters are never split, and stop strings end the
// text before them. While streaming, text that could be the start of a stop string is
// held back until it is known not to be.
type choiceText struct {
	tok     *llama.Tokenizer
	dec     *llama.StreamDecoder
	stops   []string
	full    []byte
	emitted int
	stopped bool
}

func newChoiceText(tok *llama.Tokenizer, stops []string) *choiceText {
	return &choiceText{tok: tok, dec: tok.NewStreamDecoder(), stops: stops}
}

// add appends a token and returns the text now safe to release.
func (c *choiceText) add(id int) string {
	if c.stopped || c.tok.IsSpecial(id) {
		return ""
	}
	b, err := c.dec.Add(id)
	if err != nil {
		return ""
	}
	from := len(c.full)
	c.full = append(c.full, b...)
	return c.release(from, false)
}

// flush releases everything held back (the completion ended).
func (c *choiceText) flush() string {
	if c.stopped {
		return ""
	}
	from := len(c.full)
	c.full = append(c.full, c.dec.Flush()...)
	return c.release(from, true)
}

// release checks the text from byte from on (minus what a stop string could straddle) for
// stop strings and returns the releasable new text.
func (c *choiceText) release(from int, final bool) string {
	longest := 0
	for _, s := range c.stops {
		longest = max(longest, len(s))
	}
	if longest > 0 {
		lo := max(0, from-longest+1)
		cut := -1
		for _, s := range c.stops {
			if i := strings.Index(string(c.full[lo:]), s); i >= 0 && (cut < 0 || lo+i < cut) {
				cut = lo + i
			}
		}
		if cut >= 0 {
			c.full = c.full[:cut]
			c.stopped = true
			final = true
		}
	}
	end := len(c.full)
	if !final {
		end -= c.heldBack()
	}
	if end <= c.emitted {
		return ""
	}
	out := string(c.full[c.emitted:end])
	c.emitted = end
	return out
}

// heldBack is the length of the longest suffix of the text that is a proper prefix of a
// stop string.
func (c *choiceText) heldBack() int {
	h := 0
	for _, s := range c.stops {
		for k := min(len(s)-1, len(c.full)); k > h; k-- {
			if string(c.full[len(c.full)-k:]) == s[:k] {
				h = k
				break
			}
		}
	}
	return h
}

// text is everything released so far.
func (c *choiceText) text() string { return string(c.full[:c.emitted]) }
