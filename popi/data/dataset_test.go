package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// elixLines builds n ELIX-style records per user for the given users.
func elixLines(users []string, n int) string {
	var b strings.Builder
	for _, u := range users {
		for i := 0; i < n; i++ {
			label := i % 2
			fmt.Fprintf(&b, `{"prompt":"q%d for %s","response_x":"x%d %s","response_y":"y%d %s","label":%d,"level_x":"%s","level_y":"other","scorer_level":"%s"}`+"\n",
				i, u, i, u, i, u, label, u, u)
		}
	}
	return b.String()
}

func TestLoadFSPOJSONLGroupsUsersAndAppliesLabel(t *testing.T) {
	p := writeFile(t, "elix.jsonl", elixLines([]string{"teen", "child"}, 6)+"\n")
	d, err := LoadFSPO(FamilyELIX, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.UserIDs(); !reflect.DeepEqual(got, []string{"child", "teen"}) {
		t.Fatalf("users %v", got)
	}
	u := d.User("teen")
	if len(u.Pairs) != 6 || u.Persona != "The user is teen." {
		t.Fatalf("teen: %d pairs, persona %q", len(u.Pairs), u.Persona)
	}
	// label 0 -> x preferred; label 1 -> y preferred.
	if u.Pairs[0].Chosen != "x0 teen" || u.Pairs[0].Rejected != "y0 teen" {
		t.Fatalf("label 0 pair: %+v", u.Pairs[0])
	}
	if u.Pairs[1].Chosen != "y1 teen" || u.Pairs[1].Rejected != "x1 teen" {
		t.Fatalf("label 1 pair: %+v", u.Pairs[1])
	}
	if u.Sources[1].Line != 2 || u.Sources[1].File != p {
		t.Fatalf("source %+v", u.Sources[1])
	}
	if d.NumPairs() != 12 {
		t.Fatalf("pairs %d", d.NumPairs())
	}
}

func TestLoadFSPOJSONArrayAndPersonaColumn(t *testing.T) {
	content := "[\n" +
		`{"prompt":"p","response_x":"a","response_y":"b","label":1,"scorer_level":7,"persona":"The user is seven."},` + "\n" +
		`{"prompt":"p2","response_x":"c","response_y":"d","label":0.0,"scorer_level":7,"persona":"The user is seven."}` + "\n]"
	d, err := LoadFSPO(FamilyReview, writeFile(t, "r.json", content))
	if err != nil {
		t.Fatal(err)
	}
	u := d.User("7")
	if u == nil || u.Persona != "The user is seven." || len(u.Pairs) != 2 || u.Pairs[0].Chosen != "b" || u.Pairs[1].Chosen != "c" {
		t.Fatalf("got %+v", u)
	}
	if u.Sources[1].Line != 3 {
		t.Fatalf("array element line %d, want 3", u.Sources[1].Line)
	}
}

func TestLoadRoleplay(t *testing.T) {
	content := `{"x":"hi","yw":"good","yl":"bad","level":"u1","score_persona":"A pirate."}` + "\n" +
		`{"x":"yo","yw":"arr","yl":"hello","level":"u1","score_persona":"A pirate."}` + "\n"
	d, err := LoadFSPO(FamilyRoleplay, writeFile(t, "rp.jsonl", content))
	if err != nil {
		t.Fatal(err)
	}
	u := d.User("u1")
	if u.Persona != "A pirate." || u.Pairs[1] != (PrefPair{"yo", "arr", "hello"}) {
		t.Fatalf("got %+v", u)
	}
}

func TestLoadFSPOErrorsNameFileLineField(t *testing.T) {
	good := `{"prompt":"p","response_x":"a","response_y":"b","label":0,"scorer_level":"u"}`
	cases := []struct {
		name, line, field, msg string
	}{
		{"missing prompt", `{"response_x":"a","response_y":"b","label":0,"scorer_level":"u"}`, "prompt", "missing"},
		{"label 2", `{"prompt":"p","response_x":"a","response_y":"b","label":2,"scorer_level":"u"}`, "label", "must be 0 or 1"},
		{"label text", `{"prompt":"p","response_x":"a","response_y":"b","label":"yes","scorer_level":"u"}`, "label", "must be 0 or 1"},
		{"response number", `{"prompt":"p","response_x":5,"response_y":"b","label":0,"scorer_level":"u"}`, "response_x", "want a string"},
		{"empty response", `{"prompt":"p","response_x":"  ","response_y":"b","label":0,"scorer_level":"u"}`, "response_x", "empty"},
		{"identical", `{"prompt":"p","response_x":"b","response_y":"b","label":0,"scorer_level":"u"}`, "response_y", "identical"},
		{"fractional user", `{"prompt":"p","response_x":"a","response_y":"b","label":0,"scorer_level":1.5}`, "scorer_level", "integer"},
		{"persona conflict", `{"prompt":"p","response_x":"a","response_y":"b","label":0,"scorer_level":"u","persona":"other"}`, "persona", "already has persona"},
		{"not JSON", `{"prompt":"p",`, "", "malformed JSON"},
		{"not an object", `[1,2]`, "", "expected a JSON object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, "bad.jsonl", good+"\n\n"+c.line+"\n"+good+"\n")
			_, err := LoadFSPO(FamilyELIX, p)
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("want *RecordError, got %v", err)
			}
			if re.Source.File != p || re.Source.Line != 3 || re.Field != c.field {
				t.Fatalf("error at %+v field %q, want line 3 field %q: %v", re.Source, re.Field, c.field, err)
			}
			if !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), p+":3") {
				t.Fatalf("message %q lacks %q or location", err, c.msg)
			}
		})
	}
}

func TestLoadFSPOFileErrors(t *testing.T) {
	if _, err := LoadFSPO(FamilyELIX, filepath.Join(t.TempDir(), "nope.jsonl")); err == nil {
		t.Fatal("missing file accepted")
	}
	if _, err := LoadFSPO(FamilyELIX, writeFile(t, "x.csv", "a,b")); err == nil || !strings.Contains(err.Error(), "unsupported") {
		t.Fatalf("csv: %v", err)
	}
	if _, err := LoadFSPO(FamilyELIX, writeFile(t, "e.jsonl", "  \n")); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty: %v", err)
	}
	if _, err := LoadFSPO(FamilyELIX, writeFile(t, "a.json", `[{"prompt":"p"}, 3`)); err == nil {
		t.Fatal("truncated array accepted")
	}
	if _, err := LoadFSPO(FamilyELIX, writeFile(t, "c.parquet", "PAR1 not really")); err == nil || !strings.Contains(err.Error(), "c.parquet") {
		t.Fatalf("corrupt parquet: %v", err)
	}
	if _, err := LoadFSPO(FamilyAlignX, writeFile(t, "ok.jsonl", "{}")); err == nil {
		t.Fatal("AlignX accepted by LoadFSPO")
	}
}

type elixParquetRow struct {
	Prompt      string `parquet:"prompt"`
	ResponseX   string `parquet:"response_x"`
	ResponseY   string `parquet:"response_y"`
	Label       int64  `parquet:"label"`
	LevelX      string `parquet:"level_x"`
	LevelY      string `parquet:"level_y"`
	ScorerLevel string `parquet:"scorer_level"`
}

func writeParquet[T any](t *testing.T, name string, rows []T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := parquet.Write(f, rows); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFSPOParquetMatchesJSONL(t *testing.T) {
	// 4 users x 40 pairs = 160 rows: more than one read batch, so reused row buffers
	// would show up as corrupted earlier records.
	jsonl := elixLines([]string{"a", "b", "c", "d"}, 40)
	var rows []elixParquetRow
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		r, err := parseJSONObject([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		lab, _ := r.label("label")
		rows = append(rows, elixParquetRow{r["prompt"].(string), r["response_x"].(string), r["response_y"].(string), int64(lab), r["level_x"].(string), r["level_y"].(string), r["scorer_level"].(string)})
	}
	dp, err := LoadFSPO(FamilyELIX, writeParquet(t, "elix.parquet", rows))
	if err != nil {
		t.Fatal(err)
	}
	dj, err := LoadFSPO(FamilyELIX, writeFile(t, "elix.jsonl", jsonl))
	if err != nil {
		t.Fatal(err)
	}
	for i := range dj.Users {
		if !reflect.DeepEqual(dj.Users[i].Pairs, dp.Users[i].Pairs) || dj.Users[i].ID != dp.Users[i].ID {
			t.Fatalf("user %d differs between parquet and JSONL", i)
		}
	}
	if src := dp.Users[1].Sources[2]; src.Row != 43 || src.Line != 0 {
		t.Fatalf("parquet source %+v, want row 43", src)
	}
	rows[106].Label = 3
	_, err = LoadFSPO(FamilyELIX, writeParquet(t, "bad.parquet", rows))
	var re *RecordError
	if !errors.As(err, &re) || re.Source.Row != 107 || re.Field != "label" || !strings.Contains(err.Error(), "row 107") {
		t.Fatalf("bad parquet row: %v", err)
	}
}

func TestSplitUsersDisjointDeterministic(t *testing.T) {
	var ids []string
	for i := 0; i < 40; i++ {
		ids = append(ids, fmt.Sprintf("user%02d", i))
	}
	d, err := LoadFSPO(FamilyELIX, writeFile(t, "e.jsonl", elixLines(ids, 6)))
	if err != nil {
		t.Fatal(err)
	}
	tr, ho, err := SplitUsers(d, 0.25, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(ho.Users) != 10 || len(tr.Users) != 30 {
		t.Fatalf("sizes %d/%d", len(tr.Users), len(ho.Users))
	}
	if err := CheckDisjointUsers(tr, ho); err != nil {
		t.Fatal(err)
	}
	tr2, ho2, _ := SplitUsers(d, 0.25, 7)
	if !reflect.DeepEqual(ho.UserIDs(), ho2.UserIDs()) || !reflect.DeepEqual(tr.UserIDs(), tr2.UserIDs()) {
		t.Fatal("split not deterministic")
	}
	_, ho3, _ := SplitUsers(d, 0.25, 8)
	if reflect.DeepEqual(ho.UserIDs(), ho3.UserIDs()) {
		t.Fatal("different seeds gave the same held-out users")
	}
	if err := CheckDisjointUsers(tr, &Dataset{Users: []*User{tr.Users[3]}}); err == nil || !strings.Contains(err.Error(), tr.Users[3].ID) {
		t.Fatalf("overlap not detected: %v", err)
	}
	for _, f := range []float64{0, 1, -1} {
		if _, _, err := SplitUsers(d, f, 1); err == nil {
			t.Fatalf("fraction %v accepted", f)
		}
	}
}

func TestEpisodesDeterministicDisjoint(t *testing.T) {
	d, err := LoadFSPO(FamilyELIX, writeFile(t, "e.jsonl", elixLines([]string{"a", "b"}, 10)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := EpisodeConfig{NumTargets: 2, PerUser: 3, Seed: 42}
	e1, skipped, err := d.Episodes(cfg)
	if err != nil || len(skipped) != 0 {
		t.Fatal(err, skipped)
	}
	e2, _, _ := d.Episodes(cfg)
	if !reflect.DeepEqual(e1, e2) {
		t.Fatal("episodes not deterministic")
	}
	if len(e1) != 6 {
		t.Fatalf("%d episodes", len(e1))
	}
	for _, ep := range e1 {
		if len(ep.Signals) != 4 || len(ep.Targets) != 2 {
			t.Fatalf("episode sizes %d/%d", len(ep.Signals), len(ep.Targets))
		}
		seen := map[PrefPair]bool{}
		for _, p := range append(append([]PrefPair{}, ep.Signals...), ep.Targets...) {
			if seen[p] {
				t.Fatalf("pair reused within an episode: %+v", p)
			}
			seen[p] = true
			if !strings.HasSuffix(p.Prompt, " "+ep.UserID) {
				t.Fatalf("pair of another user in episode of %s", ep.UserID)
			}
		}
	}
	if reflect.DeepEqual(e1[0].Signals, e1[1].Signals) {
		t.Fatal("two episodes of one user drew the same signals")
	}
	e3, _, _ := d.Episodes(EpisodeConfig{NumTargets: 2, PerUser: 3, Seed: 43})
	if reflect.DeepEqual(e1, e3) {
		t.Fatal("seed has no effect")
	}
	all, _, _ := d.Episodes(EpisodeConfig{Seed: 1})
	if len(all[0].Targets) != 6 {
		t.Fatalf("NumTargets 0 should take the 6 remaining pairs, got %d", len(all[0].Targets))
	}
	// Users with too few pairs are skipped and named; none left is an error.
	small, err := LoadFSPO(FamilyELIX, writeFile(t, "s.jsonl", elixLines([]string{"a"}, 10)+elixLines([]string{"b"}, 3)))
	if err != nil {
		t.Fatal(err)
	}
	eps, skipped, err := small.Episodes(EpisodeConfig{NumTargets: 2, Seed: 1})
	if err != nil || len(eps) != 1 || eps[0].UserID != "a" || !reflect.DeepEqual(skipped, []string{"b"}) {
		t.Fatalf("skipping: %d episodes, skipped %v, %v", len(eps), skipped, err)
	}
	if _, _, err := d.Episodes(EpisodeConfig{NumShots: 10}); err == nil || !strings.Contains(err.Error(), "no user has") {
		t.Fatalf("too few pairs: %v", err)
	}
}

func FuzzParseFSPORecord(f *testing.F) {
	f.Add(0, []byte(`{"prompt":"p","response_x":"a","response_y":"b","label":0,"scorer_level":"u"}`))
	f.Add(0, []byte(`{"prompt":"p","response_x":"a","response_y":"b","label":true,"scorer_level":3,"level_x":1}`))
	f.Add(2, []byte(`{"x":"p","yw":"a","yl":"b","level":"u","score_persona":"s"}`))
	f.Add(1, []byte(`{"prompt":"p","label":1e400}`))
	f.Add(0, []byte(`[`))
	f.Fuzz(func(t *testing.T, fam int, data []byte) {
		family := Family(((fam % 3) + 3) % 3)
		r, err := ParseFSPORecord(family, data)
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error is not a *RecordError: %v", err)
			}
			return
		}
		if strings.TrimSpace(r.Pair.Prompt) == "" || strings.TrimSpace(r.Pair.Chosen) == "" ||
			strings.TrimSpace(r.Pair.Rejected) == "" || r.UserID == "" || r.Persona == "" {
			t.Fatalf("accepted record with empty fields: %+v", r)
		}
		if r.Pair.Chosen == r.Pair.Rejected {
			t.Fatalf("accepted identical responses: %+v", r)
		}
	})
}
