package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/popi-go/popi/internal/safefile"
)

// maxLineBytes bounds one JSONL record (AlignX rows with long histories can be large).
const maxLineBytes = 64 << 20

// readRecords calls fn for every record of the file at path, chosen by extension:
// .jsonl/.ndjson (one object per line; blank lines skipped), .json (an array of objects,
// or JSON Lines if the file does not start with '['), .parquet.
func readRecords(path string, fn func(record, Source) error) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet":
		return readParquetRecords(path, fn)
	case ".jsonl", ".ndjson", ".json":
	default:
		return fmt.Errorf("popi: %s: unsupported file type (want .jsonl, .ndjson, .json or .parquet)", path)
	}
	f, _, err := safefile.Open(path)
	if err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" { // UTF-8 byte-order mark
		br.Discard(3)
	}
	first, err := firstNonSpace(br)
	if err == io.EOF {
		return fmt.Errorf("popi: %s: file is empty", path)
	}
	if err != nil {
		return fmt.Errorf("popi: %s: %w", path, err)
	}
	if first == '[' {
		return readJSONArray(path, br, fn)
	}
	return readJSONLines(path, br, fn)
}

func firstNonSpace(br *bufio.Reader) (byte, error) {
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if err != nil {
			if len(b) >= i {
				return b[i-1], nil
			}
			return 0, err
		}
		switch c := b[i-1]; c {
		case ' ', '\t', '\r', '\n':
			if i > 4096 {
				// Long leading whitespace: consume it and restart peeking.
				if _, err := br.Discard(i); err != nil {
					return 0, err
				}
				i = 0
			}
		default:
			return c, nil
		}
	}
}

func readJSONLines(path string, br *bufio.Reader, fn func(record, Source) error) error {
	line := 0
	for {
		data, err := readLine(br)
		if err == io.EOF && len(data) == 0 {
			return nil
		}
		line++
		src := Source{File: path, Line: line}
		if errors.Is(err, errLineTooLong) {
			return &RecordError{Source: src, Err: err}
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("popi: %s: %w", src, err)
		}
		if len(bytes.TrimSpace(data)) > 0 {
			rec, perr := parseJSONObject(data)
			if perr != nil {
				return &RecordError{Source: src, Err: perr}
			}
			if ferr := fn(rec, src); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

var errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLineBytes)

// readLine returns one line without its terminator; io.EOF with the last unterminated line.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLineBytes {
			return nil, errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return buf, err
		}
		return bytes.TrimRight(buf, "\r\n"), nil
	}
}
