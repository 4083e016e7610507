package llama

import (
	"fmt"
	"unicode/utf8"
)

// StreamDecoder turns a stream of token ids into text without ever splitting a UTF-8
// character across outputs: bytes that could still be completed by a later token are held back.
type StreamDecoder struct {
	t       *Tokenizer
	pending []byte
}

// NewStreamDecoder returns a streaming decoder for t.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder { return &StreamDecoder{t: t} }

// Add appends one token and returns the bytes that are now complete (possibly none).
// Bytes that can never form a valid character are released as they are.
func (d *StreamDecoder) Add(id int) ([]byte, error) {
	b := d.t.Token(id)
	if b == nil {
		return nil, fmt.Errorf("llama: decode: unknown token id %d", id)
	}
	d.pending = append(d.pending, b...)
	cut := len(d.pending)
	for k := 1; k <= 3 && k <= len(d.pending); k++ {
		s := len(d.pending) - k
		c := d.pending[s]
		if c&0xC0 == 0x80 { // continuation byte: look further back
			continue
		}
		if c >= 0xC0 && !utf8.FullRune(d.pending[s:]) {
			cut = s
		}
		break
	}
	out := append([]byte(nil), d.pending[:cut]...)
	d.pending = append(d.pending[:0], d.pending[cut:]...)
	return out, nil
}

// Flush returns whatever is held back (an incomplete character at the end of the stream).
func (d *StreamDecoder) Flush() []byte {
	out := d.pending
	d.pending = nil
	return out
}
