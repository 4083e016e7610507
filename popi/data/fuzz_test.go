package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadJSONFile feeds arbitrary bytes as a .jsonl and as a .json file: the readers
// either deliver records or fail with an error, never panic, and the FSPO loader's
// accepted users are well formed.
func FuzzReadJSONFile(f *testing.F) {
	f.Add([]byte(`{"prompt":"p","response_x":"a","response_y":"b","label":0,"scorer_level":"u"}` + "\n"))
	f.Add([]byte("\xef\xbb\xbf" + `{"prompt":"p","response_x":"a","response_y":"b","label":1,"scorer_level":"u"}`))
	f.Add([]byte(`[{"prompt":"p","response_x":"a","response_y":"b","label":0,"scorer_level":2}]`))
	f.Add([]byte("[\n\n{}\n,"))
	f.Add([]byte("\n\n\r\n{\"a\":1}\r\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ext := range []string{".jsonl", ".json"} {
			p := filepath.Join(dir, "f"+ext)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := LoadFSPO(FamilyELIX, p)
			if err != nil {
				var re *RecordError
				if errors.As(err, &re) && (re.Source.File != p || re.Source.Line < 1) {
					t.Fatalf("record error without location: %v", err)
				}
				continue
			}
			for _, u := range d.Users {
				if u.ID == "" || len(u.Pairs) == 0 || len(u.Pairs) != len(u.Sources) {
					t.Fatalf("malformed user %+v", u)
				}
			}
		}
	})
}

// FuzzParseAlignXRecord: arbitrary JSON objects parse into a valid AlignX record or a
// *RecordError naming a field.
func FuzzParseAlignXRecord(f *testing.F) {
	f.Add([]byte(`{"prompt":"p","chosen":"a","rejected":"b","User-Generated Content":[{"prompt":"x","comment":"y"}]}`))
	f.Add([]byte(`{"prompt":"p","chosen":"a","rejected":"b","Pair-wise Comparative Feedback":"[{\"prompt\":1}]"}`))
	f.Add([]byte(`{"prompt":"p","chosen":"a","rejected":"b","Preference Direction":[0,0.5,1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := parseJSONObject(data)
		if err != nil {
			return
		}
		r, err := parseAlignX(rec, Source{File: "fuzz", Line: 1})
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) || re.Field == "" {
				t.Fatalf("error without field: %v", err)
			}
			return
		}
		if strings.TrimSpace(r.Target.Prompt) == "" || r.Target.Chosen == r.Target.Rejected {
			t.Fatalf("accepted bad target %+v", r.Target)
		}
		if r.Direction != nil && len(r.Direction) != AlignXDirectionDims {
			t.Fatalf("direction of length %d", len(r.Direction))
		}
		for _, split := range []AlignXSplit{SplitArbitrary, SplitDEMO, SplitPAIR, SplitUGC} {
			if s, err := r.RenderAlignXRaw(split); err == nil && strings.TrimSpace(s) == "" {
				t.Fatal("empty rendering accepted")
			}
		}
	})
}

// FuzzParquetFile: arbitrary bytes as a parquet file give rows or an error, never a panic.
func FuzzParquetFile(f *testing.F) {
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = LoadAlignX(p)
	})
}
