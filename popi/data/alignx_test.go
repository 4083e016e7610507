package data

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func direction(ones, zeros []int) []float64 {
	d := make([]float64, AlignXDirectionDims)
	for i := range d {
		d[i] = 0.5
	}
	for _, i := range ones {
		d[i] = 1
	}
	for _, i := range zeros {
		d[i] = 0
	}
	return d
}

type alignxUGC struct {
	Prompt  string `parquet:"prompt" json:"prompt"`
	Comment string `parquet:"comment" json:"comment"`
}
type alignxPair struct {
	Prompt   string `parquet:"prompt" json:"prompt"`
	Chosen   string `parquet:"chosen" json:"chosen"`
	Rejected string `parquet:"rejected" json:"rejected"`
}
type alignxRow struct {
	Prompt    string       `parquet:"prompt"`
	Chosen    string       `parquet:"chosen"`
	Rejected  string       `parquet:"rejected"`
	Demo      string       `parquet:"Demographic Information"`
	UGC       []alignxUGC  `parquet:"User-Generated Content,list"`
	Pairs     []alignxPair `parquet:"Pair-wise Comparative Feedback,list"`
	Direction []float64    `parquet:"Preference Direction,list"`
}

func dirJSON(d []float64) string {
	s := make([]string, len(d))
	for i, v := range d {
		s[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(s, ",") + "]"
}

func TestLoadAlignXJSONLAndParquetAgree(t *testing.T) {
	dir := direction([]int{0, 4}, []int{89})
	line := `{"prompt":"Post A","chosen":"nice","rejected":"meh","Demographic Information":"Age 30, teacher.",` +
		`"User-Generated Content":[{"prompt":"Post U","comment":"I agree."}],` +
		`"Pair-wise Comparative Feedback":"[{\"prompt\":\"Post P\",\"chosen\":\"c1\",\"rejected\":\"r1\"}]",` +
		`"Preference Direction":` + dirJSON(dir) + `}`
	recs, err := LoadAlignX(writeFile(t, "ax.jsonl", line+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	pq, err := LoadAlignX(writeParquet(t, "ax.parquet", []alignxRow{{
		"Post A", "nice", "meh", "Age 30, teacher.", []alignxUGC{{"Post U", "I agree."}},
		[]alignxPair{{"Post P", "c1", "r1"}}, dir}}))
	if err != nil {
		t.Fatal(err)
	}
	r, q := recs[0], pq[0]
	if r.UserKey() != q.UserKey() || r.Target != q.Target || r.Pairs[0] != q.Pairs[0] || !reflect.DeepEqual(r.UGC, q.UGC) {
		t.Fatalf("JSONL %+v\nparquet %+v", r, q)
	}
	raw, err := r.RenderAlignXRaw(SplitArbitrary)
	if err != nil {
		t.Fatal(err)
	}
	want := "## Demographic Information\nAge 30, teacher.\n\n## User-Generated Content\n\n### Post 1\nPost U\n### Comment 1\nI agree.\n\n\n" +
		"## Pair-wise Comparative Feedback\n\n### Post 1\nPost P\n### Preferred Comment 1\nc1\n### Dispreferred Comment 1\nr1"
	if raw != want {
		t.Fatalf("raw signals:\n%q\nwant\n%q", raw, want)
	}
	demo, _ := r.RenderAlignXRaw(SplitDEMO)
	if demo != "## Demographic Information\nAge 30, teacher." {
		t.Fatalf("DEMO: %q", demo)
	}
	pair, _ := r.RenderAlignXRaw(SplitPAIR)
	if strings.Contains(pair, "Demographic") || strings.Contains(pair, "I agree") || !strings.Contains(pair, "c1") {
		t.Fatalf("PAIR: %q", pair)
	}
	ugc, _ := r.RenderAlignXRaw(SplitUGC)
	if strings.Contains(ugc, "c1") || !strings.Contains(ugc, "I agree") {
		t.Fatalf("UGC: %q", ugc)
	}
	// No per-item directions in this export: the record's own direction is used (and counted).
	txt, ft, err := r.SignalText(SignalSet{Pairs: []int{0}}, SignalsDirection)
	if err != nil || !ft || txt != "Young, High Openness, Dislikes fashion" {
		t.Fatalf("direction %q %v %v", txt, ft, err)
	}
	eps, st, err := AlignXEpisodes(recs, SignalsDirection, SplitArbitrary, false)
	if err != nil || eps[0].SignalText != txt || eps[0].Targets[0].Chosen != "nice" || st.TargetDirection != 1 {
		t.Fatalf("episodes %+v %+v %v", eps, st, err)
	}
}

func TestLoadAlignXErrors(t *testing.T) {
	base := `"prompt":"p","chosen":"a","rejected":"b"`
	cases := []struct{ body, field string }{
		{`"prompt":"p","chosen":"a"`, "rejected"},
		{base + `,"Preference Direction":[1,0]`, "Preference Direction"},
		{base + `,"Preference Direction":` + strings.Replace(dirJSON(direction(nil, nil)), "0.5", "0.7", 1), "Preference Direction[0]"},
		{base + `,"User-Generated Content":[{"prompt":"x"}]`, "User-Generated Content[0].comment"},
		{base + `,"Pair-wise Comparative Feedback":[{"prompt":"x","chosen":"c","rejected":3}]`, "Pair-wise Comparative Feedback[0].rejected"},
		{base + `,"Pair-wise Comparative Feedback":"not json"`, "Pair-wise Comparative Feedback"},
		{base + `,"Demographic Information":5`, "Demographic Information"},
	}
	for _, c := range cases {
		p := writeFile(t, "ax.jsonl", "{"+base+"}\n{"+c.body+"}\n")
		_, err := LoadAlignX(p)
		var re *RecordError
		if !errors.As(err, &re) || re.Field != c.field || re.Source.Line != 2 {
			t.Fatalf("%s: got %v, want field %q at line 2", c.body, err, c.field)
		}
	}
	recs, err := LoadAlignX(writeFile(t, "ax.jsonl", "{"+base+"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recs[0].RenderAlignXRaw(SplitDEMO); err == nil || !strings.Contains(err.Error(), "Demographic Information") {
		t.Fatalf("empty DEMO signals: %v", err)
	}
	if _, _, err := recs[0].SignalDirection(SignalSet{}); err == nil {
		t.Fatal("missing direction accepted")
	}
}

func TestSplitAlignXUsers(t *testing.T) {
	var lines []string
	for u := 0; u < 10; u++ {
		for k := 0; k < 3; k++ {
			lines = append(lines, fmt.Sprintf(`{"prompt":"p%d","chosen":"a","rejected":"b","Demographic Information":"user %d"}`, k, u))
		}
	}
	recs, err := LoadAlignX(writeFile(t, "ax.jsonl", strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	tr, ho, err := SplitAlignXUsers(recs, 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 21 || len(ho) != 9 {
		t.Fatalf("sizes %d/%d", len(tr), len(ho))
	}
	keys := map[string]bool{}
	for _, r := range tr {
		keys[r.UserKey()] = true
	}
	for _, r := range ho {
		if keys[r.UserKey()] {
			t.Fatalf("user %s on both sides", r.Demographic)
		}
	}
}
