package data

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The fixtures in testdata/published reproduce the published schemas and were written by
// DuckDB (testdata/published/make_fixtures.mjs), not by parquet-go.
const pub = "testdata/published/"

func sortedPairs(u *User) []PrefPair {
	ps := append([]PrefPair(nil), u.Pairs...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Prompt+ps[i].Chosen < ps[j].Prompt+ps[j].Chosen })
	return ps
}

// ELIX as downloaded: a directory of parquet shards, JSON Lines and a JSON array give the
// same users and pairs; rows whose scorer wrote neither response are dropped and counted;
// extra columns are ignored; the judge persona is the FSPO authors' sentence.
func TestPublishedELIXAllFormats(t *testing.T) {
	shards, err := LoadFSPO(FamilyELIX, pub+"elix_train")
	if err != nil {
		t.Fatal(err)
	}
	if len(shards.Users) != 5 || shards.NumPairs() != 40 || len(shards.Notes) != 1 || !strings.Contains(shards.Notes[0], "5 ELIX rows dropped") {
		t.Fatalf("shards: %d users, %d pairs, notes %v", len(shards.Users), shards.NumPairs(), shards.Notes)
	}
	if u := shards.User("an expert"); u == nil || u.Persona != "The user is an expert." || len(u.Pairs) != 8 {
		t.Fatalf("expert: %+v", u)
	}
	if src := shards.Users[0].Sources[0]; !strings.HasSuffix(src.File, "train-00000-of-00002.parquet") || src.Row < 1 {
		t.Fatalf("source %+v", src)
	}
	for _, f := range []string{"elix_train.jsonl", "elix_train.json"} {
		d, err := LoadFSPO(FamilyELIX, pub+f)
		if err != nil {
			t.Fatal(f, err)
		}
		if !reflect.DeepEqual(d.UserIDs(), shards.UserIDs()) {
			t.Fatalf("%s users %v", f, d.UserIDs())
		}
		for i := range d.Users {
			if !reflect.DeepEqual(sortedPairs(d.Users[i]), sortedPairs(shards.Users[i])) || d.Users[i].Persona != shards.Users[i].Persona {
				t.Fatalf("%s: user %s differs from the parquet shards", f, d.Users[i].ID)
			}
		}
	}
	// Label 1 puts response_y first: the chosen response is always the scorer's level.
	for _, u := range shards.Users {
		for _, p := range u.Pairs {
			if !strings.HasSuffix(p.Chosen, "for "+u.ID+".") {
				t.Fatalf("user %s chose %q", u.ID, p.Chosen)
			}
		}
	}
	// A data/ folder holding both splits is refused rather than mixed.
	mixed := t.TempDir()
	for _, name := range []string{"train-00000-of-00001.parquet", "test-00000-of-00001.parquet"} {
		b, _ := os.ReadFile(pub + "elix_test.parquet")
		os.WriteFile(filepath.Join(mixed, name), b, 0o644)
	}
	if _, err := LoadFSPO(FamilyELIX, mixed); err == nil || !strings.Contains(err.Error(), "several splits") {
		t.Fatalf("mixed splits: %v", err)
	}
}

func TestPublishedReviewPersonas(t *testing.T) {
	d, err := LoadFSPO(FamilyReview, pub+"review_train.parquet")
	if err != nil {
		t.Fatal(err)
	}
	u := d.User("positive+concise")
	if len(d.Users) != 5 || u == nil || u.Persona != "This user prefers positive and concise reviews." || len(u.Pairs) != 7 || len(d.Notes) != 0 {
		t.Fatalf("review: %v %+v %v", d.UserIDs(), u, d.Notes)
	}
}

// Roleplay's score_persona struct: user = persona_uuid, persona = persona_description,
// traits kept; an older export with a string persona gives the same pairs per level.
func TestPublishedRoleplayPersonaStructAndString(t *testing.T) {
	d, err := LoadFSPO(FamilyRoleplay, pub+"roleplay_train.parquet")
	if err != nil {
		t.Fatal(err)
	}
	u := d.User("3f0c1d6e-0002")
	if len(d.Users) != 3 || u == nil || !strings.HasPrefix(u.Persona, "A young software engineer in Nairobi") || len(u.Pairs) != 12 ||
		!reflect.DeepEqual(u.Traits, map[string]string{"age": "25", "continent": "Africa", "gender": "female", "trait_uuid": "t-02"}) {
		t.Fatalf("roleplay struct: %v %+v", d.UserIDs(), u)
	}
	old, err := LoadFSPO(FamilyRoleplay, pub+"roleplay_old.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	o := old.User("level-1")
	if len(old.Users) != 3 || o == nil || o.Persona != u.Persona || !reflect.DeepEqual(sortedPairs(o), sortedPairs(u)) || o.Traits != nil {
		t.Fatalf("roleplay string export: %v %+v", old.UserIDs(), o)
	}
}

// AlignX's nested lists read from parquet equal the JSON Lines export; every test split
// shows only its own source, and the direction of a split comes from its own items.
func TestPublishedAlignXSplits(t *testing.T) {
	pq, err := LoadAlignX(pub + "alignx_train.parquet")
	if err != nil {
		t.Fatal(err)
	}
	js, err := LoadAlignX(pub + "alignx_train.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(pq) != 12 || len(js) != 12 {
		t.Fatalf("%d/%d records", len(pq), len(js))
	}
	for i := range pq {
		a, b := pq[i], js[i]
		a.Source, b.Source = Source{}, Source{}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("record %d: parquet %+v\njsonl %+v", i, a, b)
		}
	}
	r := pq[3]
	if len(r.UGC) != 4 || len(r.Pairs) != 1 || len(r.UGC[2].Direction) != 90 || len(r.PairDirections[0]) != 90 || r.Demographic == "" {
		t.Fatalf("record 3: %+v", r)
	}
	for _, c := range []struct {
		file         string
		split        AlignXSplit
		want, absent string
	}{
		{"alignx_test_demo.parquet", SplitDEMO, "## Demographic Information", "## Pair"},
		{"alignx_test_pair.parquet", SplitPAIR, "## Pair-wise Comparative Feedback", "## User-Generated"},
		{"alignx_test_ugc.parquet", SplitUGC, "## User-Generated Content", "## Demographic"},
		{"alignx_test_arbitrary.parquet", SplitArbitrary, "## User-Generated Content", "nothing-absent"},
	} {
		recs, err := LoadAlignX(pub + c.file)
		if err != nil {
			t.Fatal(c.file, err)
		}
		eps, st, err := AlignXEpisodes(recs, SignalsRaw, c.split, false)
		if err != nil || len(eps) != 4 || st.Skipped != 0 {
			t.Fatalf("%s: %d episodes %+v %v", c.file, len(eps), st, err)
		}
		for _, ep := range eps {
			if !strings.Contains(ep.SignalText, c.want) || strings.Contains(ep.SignalText, c.absent) || len(ep.Targets) != 1 {
				t.Fatalf("%s: signals %q", c.file, ep.SignalText)
			}
		}
		dirEps, dst, err := AlignXEpisodes(recs, SignalsDirection, c.split, false)
		if err != nil || len(dirEps) != 4 {
			t.Fatalf("%s direction: %v", c.file, err)
		}
		// Only DEMO, whose records hold no items, falls back to the target's direction.
		if (dst.TargetDirection > 0) != (c.split == SplitDEMO) {
			t.Fatalf("%s: %d episodes from the top-level direction", c.file, dst.TargetDirection)
		}
		if c.split != SplitArbitrary {
			other := SplitPAIR
			if c.split == SplitPAIR {
				other = SplitUGC
			}
			if _, _, err := AlignXEpisodes(recs, SignalsRaw, other, false); err == nil {
				t.Fatalf("%s evaluated as %v", c.file, other)
			}
			if _, st, err := AlignXEpisodes(recs, SignalsRaw, other, true); err == nil || st.Skipped != 4 {
				t.Fatalf("%s skipping for %v: %+v %v", c.file, other, st, err)
			}
		}
	}
	pair, _ := LoadAlignX(pub + "alignx_test_pair.parquet")
	s, _ := pair[0].SplitSignals(SplitPAIR)
	d, ft, err := pair[0].SignalDirection(s)
	if err != nil || ft || !reflect.DeepEqual(d, AggregateDirections(pair[0].PairDirections)) {
		t.Fatalf("PAIR direction %v %v %v", d, ft, err)
	}
}

// Bad input from an independent writer: a missing column, a wrong type and a truncated
// shard give errors naming the file, and the row and field where there is one.
func TestPublishedBadInputs(t *testing.T) {
	for _, c := range []struct {
		load  func(string) error
		file  string
		field string
	}{
		{func(p string) error { _, err := LoadFSPO(FamilyELIX, p); return err }, "bad_elix_missing_label.parquet", "label"},
		{func(p string) error { _, err := LoadFSPO(FamilyRoleplay, p); return err }, "bad_roleplay_persona_type.parquet", "score_persona"},
		{func(p string) error { _, err := LoadAlignX(p); return err }, "bad_alignx_ugc_comment.parquet", "User-Generated Content[0].comment"},
	} {
		err := c.load(pub + c.file)
		var re *RecordError
		if !errors.As(err, &re) || re.Field != c.field || re.Source.Row != 1 || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), "row 1") {
			t.Fatalf("%s: %v", c.file, err)
		}
	}
	b, err := os.ReadFile(pub + "elix_train/train-00001-of-00002.parquet")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, _ := os.ReadFile(pub + "elix_train/train-00000-of-00002.parquet")
	os.WriteFile(filepath.Join(dir, "train-00000-of-00002.parquet"), good, 0o644)
	trunc := filepath.Join(dir, "train-00001-of-00002.parquet")
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	if _, err := LoadFSPO(FamilyELIX, dir); err == nil || !strings.Contains(err.Error(), trunc) {
		t.Fatalf("truncated shard: %v", err)
	}
}
