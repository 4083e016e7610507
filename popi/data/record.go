package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// RecordError reports a bad record: the file, its line (JSONL/JSON) or row (parquet),
// the offending field (empty when the record as a whole is malformed) and the reason.
type RecordError struct {
	Source Source
	Field  string
	Err    error
}

func (e *RecordError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("%s: field %q: %v", e.Source, e.Field, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// record is one decoded row: a JSON object, or a parquet row reconstructed as one.
type record map[string]any

// errMissing is wrapped by errors about absent fields.
var errMissing = errors.New("missing")

// parseJSONObject decodes one JSON object, keeping numbers exact.
func parseJSONObject(data []byte) (record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("malformed JSON: trailing data after the object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a JSON object, got %s", jsonKind(v))
	}
	return record(m), nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64, float32, int, int32, int64, uint32, uint64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case []byte:
		return "bytes"
	}
	return fmt.Sprintf("%T", v)
}

// str reads a required, non-blank string field.
func (r record) str(field string) (string, error) {
	v, ok := r[field]
	if !ok || v == nil {
		return "", errMissing
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return "", fmt.Errorf("want a string, got %s", jsonKind(v))
	}
	if strings.TrimSpace(s) == "" {
		return "", errors.New("empty string")
	}
	return s, nil
}

// optStr reads an optional string field; absent or null gives "".
func (r record) optStr(field string) (string, error) {
	if v, ok := r[field]; !ok || v == nil {
		return "", nil
	}
	return r.str(field)
}

// idString reads a required identifier that may be stored as a string or an integer.
func (r record) idString(field string) (string, error) {
	v, ok := r[field]
	if !ok || v == nil {
		return "", errMissing
	}
	if f, ok := toFloat(v); ok {
		if f != math.Trunc(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("want a string or an integer, got %v", v)
		}
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	return r.str(field)
}

// toFloat converts any numeric representation (JSON or parquet) to float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsNaN(f) {
			return 0, false
		}
		return f, true
	case float64:
		return x, !math.IsNaN(x)
	case float32:
		return float64(x), !math.IsNaN(float64(x))
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// label reads a binary preference label: 0 or 1 (integer, integral float, boolean or "0"/"1").
func (r record) label(field string) (int, error) {
	v, ok := r[field]
	if !ok || v == nil {
		return 0, errMissing
	}
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		switch strings.TrimSpace(x) {
		case "0":
			return 0, nil
		case "1":
			return 1, nil
		}
		return 0, fmt.Errorf("must be 0 or 1, got %q", x)
	}
	f, ok := toFloat(v)
	if !ok {
		return 0, fmt.Errorf("must be 0 or 1, got %s", jsonKind(v))
	}
	if f != 0 && f != 1 {
		return 0, fmt.Errorf("must be 0 or 1, got %v", f)
	}
	return int(f), nil
}

// list reads a list field; a string holding a JSON list is accepted too (some exports
// store nested columns as JSON text). Absent or null gives nil.
func (r record) list(field string) ([]any, error) {
	v, ok := r[field]
	if !ok || v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case []any:
		return x, nil
	case []float64:
		out := make([]any, len(x))
		for i, f := range x {
			out[i] = f
		}
		return out, nil
	case string:
		t := strings.TrimSpace(x)
		if t == "" {
			return nil, nil
		}
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var l []any
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("want a list (or JSON text of one): %v", err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("want a list, got %s", jsonKind(v))
}

// fieldErr wraps err as a RecordError for field at src.
func fieldErr(src Source, field string, err error) error {
	return &RecordError{Source: src, Field: field, Err: err}
}
