package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// errElementTooLong is the error of an array element over the per-record limit.
var errElementTooLong = fmt.Errorf("array element longer than %d bytes", maxLineBytes)

// arrayScanner cuts a top-level JSON array into the raw bytes of its elements, counting
// lines as it reads. It keeps one element in memory at a time, at most maxLineBytes of
// it (the limit of a JSONL line), so neither a huge element nor any amount of whitespace
// between elements costs more than that.
type arrayScanner struct {
	br   *bufio.Reader
	line int // 1-based line of the next byte
}

func (s *arrayScanner) next() (byte, error) {
	c, err := s.br.ReadByte()
	if err == nil && c == '\n' {
		s.line++
	}
	return c, err
}

// skipSpace returns the next byte that is not JSON whitespace.
func (s *arrayScanner) skipSpace() (byte, error) {
	for {
		c, err := s.next()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, nil
	}
}

// element reads the value whose first byte is c: an object or array up to its matching
// bracket, a string up to its closing quote, or a bare word (number, true, ...) up to the
// next delimiter, which is left unread.
func (s *arrayScanner) element(c byte) ([]byte, error) {
	buf := []byte{c}
	add := func(b byte) error {
		if len(buf) >= maxLineBytes {
			return errElementTooLong
		}
		buf = append(buf, b)
		return nil
	}
	if c != '{' && c != '[' && c != '"' {
		for {
			p, err := s.br.Peek(1)
			if err != nil || p[0] == ',' || p[0] == ']' || p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n' {
				return buf, nil
			}
			b, _ := s.next()
			if err := add(b); err != nil {
				return nil, err
			}
		}
	}
	depth, inString, escaped := 1, c == '"', false
	if inString {
		depth = 0
	}
	for {
		b, err := s.next()
		if err != nil {
			return nil, err
		}
		if err := add(b); err != nil {
			return nil, err
		}
		switch {
		case inString && escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case inString && b == '"':
			inString = false
		case inString:
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			depth--
		}
		if depth == 0 && !inString {
			return buf, nil
		}
	}
}

// readJSONArray calls fn for every element of the JSON array br holds (its '[' not yet
// read), each parsed as one record located by the line where it starts.
func readJSONArray(path string, br *bufio.Reader, fn func(record, Source) error) error {
	s := &arrayScanner{br: br, line: 1}
	fail := func(line int, err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if !errors.Is(err, errElementTooLong) {
			err = fmt.Errorf("malformed JSON: %v", err)
		}
		return &RecordError{Source: Source{File: path, Line: line}, Err: err}
	}
	if c, err := s.skipSpace(); err != nil || c != '[' {
		return fail(s.line, errors.New("expected '['"))
	}
	c, err := s.skipSpace()
	if err != nil {
		return fail(s.line, err)
	}
	if c != ']' {
		for {
			start := s.line
			raw, err := s.element(c)
			if err != nil {
				return fail(start, err)
			}
			src := Source{File: path, Line: start}
			rec, err := parseJSONObject(raw)
			if err != nil {
				return &RecordError{Source: src, Err: err}
			}
			if err := fn(rec, src); err != nil {
				return err
			}
			if c, err = s.skipSpace(); err != nil {
				return fail(s.line, err)
			}
			if c == ']' {
				break
			}
			if c != ',' {
				return fail(s.line, fmt.Errorf("invalid character %q after array element", c))
			}
			if c, err = s.skipSpace(); err != nil {
				return fail(s.line, err)
			}
		}
	}
	if _, err := s.skipSpace(); err != io.EOF {
		if err == nil {
			err = errors.New("trailing data after the array")
		}
		return fail(s.line, err)
	}
	return nil
}
