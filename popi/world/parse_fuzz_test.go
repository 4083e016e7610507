package world

import "testing"

// FuzzParseSummary: any text parses to a persona whose entries are values, Unknown or
// Conflict, and ScoreSummary's counts add up.
func FuzzParseSummary(f *testing.F) {
	f.Add("Prefers concise answers for a child, with a positive tone.")
	f.Add("not not long, never gloomy; kids AND experts")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p := ParseSummary(s)
		for a := Attr(0); a < NumAttrs; a++ {
			if p[a] != Unknown && p[a] != Conflict && (p[a] < 0 || p[a] >= a.NumValues()) {
				t.Fatalf("attribute %v = %d", a, p[a])
			}
		}
		sc := ScoreSummary(Persona{Teen, Negative, Verbose}, s)
		if sc.Correct+sc.Wrong+sc.Missing != NumAttrs {
			t.Fatalf("score %+v", sc)
		}
		_ = Detect(s)
	})
}

// FuzzParseSentence: accepted sentences round-trip exactly.
func FuzzParseSentence(f *testing.F) {
	f.Add(Persona{Child, Positive, Concise}.Sentence())
	f.Add("The user is an expert who prefers negative and verbose answers.")
	f.Add("The user is ")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseSentence(s)
		if err != nil {
			return
		}
		if !p.Valid() {
			t.Fatalf("invalid persona %v from %q", p, s)
		}
		if q, err := ParseSentence(p.Sentence()); err != nil || q != p {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}
