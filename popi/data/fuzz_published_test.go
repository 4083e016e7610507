package data

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzPublishedParquet mutates the DuckDB-written fixtures of every published schema: each
// loader either returns well-formed data or an error (a *RecordError names file and row),
// never panics.
func FuzzPublishedParquet(f *testing.F) {
	for _, name := range []string{"alignx_test_demo.parquet", "alignx_test_ugc.parquet", "elix_test.parquet", "roleplay_test.parquet"} {
		b, err := os.ReadFile(pub + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.parquet")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, fam := range []Family{FamilyELIX, FamilyRoleplay} {
			d, err := LoadFSPO(fam, p)
			var re *RecordError
			if errors.As(err, &re) && (re.Source.File != p || re.Source.Row < 1) {
				t.Fatalf("record error without location: %v", err)
			}
			if err == nil {
				for _, u := range d.Users {
					if u.ID == "" || u.Persona == "" || len(u.Pairs) == 0 {
						t.Fatalf("malformed user %+v", u)
					}
				}
			}
		}
		recs, err := LoadAlignX(p)
		if err == nil {
			for i := range recs {
				for _, split := range []AlignXSplit{SplitArbitrary, SplitDEMO, SplitPAIR, SplitUGC} {
					if s, err := recs[i].SplitSignals(split); err == nil {
						if _, _, err := recs[i].SignalText(s, SignalsRaw); err != nil {
							t.Fatalf("split %v accepted but not renderable: %v", split, err)
						}
					}
				}
			}
		}
	})
}

// FuzzRoleplayPersona: score_persona in any JSON shape gives a user and a persona or a
// *RecordError naming a score_persona (or level) field.
func FuzzRoleplayPersona(f *testing.F) {
	f.Add([]byte(`{"persona_description":"d","persona_uuid":"u","traits":{"age":"3"}}`))
	f.Add([]byte(`"plain text persona"`))
	f.Add([]byte(`"{\"persona_description\":\"d\",\"persona_uuid\":7}"`))
	f.Add([]byte(`{"persona_uuid":1.5}`))
	f.Fuzz(func(t *testing.T, persona []byte) {
		line := []byte(`{"x":"p","yw":"a","yl":"b","level":"lv","score_persona":` + string(persona) + `}`)
		r, err := ParseFSPORecord(FamilyRoleplay, line)
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("not a *RecordError: %v", err)
			}
			return
		}
		if r.UserID == "" || r.Persona == "" {
			t.Fatalf("accepted %s as %+v", persona, r)
		}
	})
}
