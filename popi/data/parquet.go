package data

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// readParquetRecords reconstructs every row of a parquet file as a JSON-like object
// (lists become []any, groups become map[string]any) and calls fn with its 1-based row.
func readParquetRecords(path string, fn func(record, Source) error) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	// The parquet reader may panic on corrupt input; turn that into an error naming the file.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("popi: %s: corrupt parquet file: %v", path, r)
		}
	}()
	pf, err := parquet.OpenFile(f, st.Size())
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
