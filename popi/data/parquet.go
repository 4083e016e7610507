package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/popi-go/popi/internal/safefile"
)

// maxParquetFooter caps the file metadata (schema, row-group and column-chunk
// descriptions) read into memory; real footers are kilobytes to a few megabytes.
const maxParquetFooter = 256 << 20

// checkParquetFooter validates the layout parquet-go trusts: "PAR1" at both ends and a
// footer length (the 4 bytes before the trailing magic) that fits in the file between
// the two magics and under maxParquetFooter. parquet-go sizes its footer buffer from that
// length before comparing it with the file size, so a 19-byte file claiming a 4 GB footer
// would allocate 4 GB.
func checkParquetFooter(r io.ReaderAt, size int64) error {
	const magic = "PAR1"
	if size < 12 {
		return fmt.Errorf("%d bytes is too short for a parquet file", size)
	}
	var head [4]byte
	var tail [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return err
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if string(head[:]) != magic || string(tail[4:]) != magic {
		return errors.New("missing PAR1 magic")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return fmt.Errorf("footer length %d exceeds the %d bytes of the file between its magics", n, size-12)
	}
	if n > maxParquetFooter {
		return fmt.Errorf("footer length %d exceeds the %d-byte limit", n, maxParquetFooter)
	}
	return nil
}

// readParquetRecords reconstructs every row of a parquet file as a JSON-like object
// (lists become []any, groups become map[string]any) and calls fn with its 1-based row.
func readParquetRecords(path string, fn func(record, Source) error) (err error) {
	f, size, err := safefile.Open(path)
	if err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	defer f.Close()
	if err := checkParquetFooter(f, size); err != nil {
		return fmt.Errorf("popi: %s: not a readable parquet file: %w", path, err)
	}
	// The parquet reader may panic on corrupt input; turn that into an error naming the file.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("popi: %s: corrupt parquet file: %v", path, r)
		}
	}()
	pf, err := parquet.OpenFile(f, size)
	if err != nil {
		return fmt.Errorf("popi: %s: not a readable parquet file: %w", path, err)
	}
	schema := pf.Schema()
	reader := parquet.NewReader(pf)
	defer reader.Close()
	rows := make([]parquet.Row, 64)
	rowNum := 0
	for {
		n, rerr := reader.ReadRows(rows)
		for i := 0; i < n; i++ {
			rowNum++
			src := Source{File: path, Row: rowNum}
			var v any
			if err := schema.Reconstruct(&v, rows[i]); err != nil {
				return &RecordError{Source: src, Err: fmt.Errorf("cannot decode row: %v", err)}
			}
			m, ok := v.(map[string]any)
			if !ok {
				return &RecordError{Source: src, Err: fmt.Errorf("row is %s, not a group of columns", jsonKind(v))}
			}
			if err := fn(record(m), src); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("popi: %s: after row %d: %w", path, rowNum, rerr)
		}
	}
	if rowNum == 0 {
		return fmt.Errorf("popi: %s: parquet file has no rows", path)
	}
	return nil
}
