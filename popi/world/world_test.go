package world

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func newWorld(t *testing.T, cfg Config) *World {
	t.Helper()
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWorldDeterministic(t *testing.T) {
	a := newWorld(t, Config{Seed: 3, TrainUsers: 20, HeldOutUsers: 6, PairsPerUser: 8})
	b := newWorld(t, Config{Seed: 3, TrainUsers: 20, HeldOutUsers: 6, PairsPerUser: 8})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different worlds")
	}
	c := newWorld(t, Config{Seed: 4, TrainUsers: 20, HeldOutUsers: 6, PairsPerUser: 8})
	if reflect.DeepEqual(a.Train, c.Train) {
		t.Fatal("seed has no effect")
	}
	ca, _ := a.Corpus(CorpusConfig{N: 50, Seed: 1})
	cb, _ := b.Corpus(CorpusConfig{N: 50, Seed: 1})
	if !reflect.DeepEqual(ca, cb) {
		t.Fatal("corpus not deterministic")
	}
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	if err := a.WriteFSPO(pa, false); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFSPO(pb, false); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(pa)
	y, _ := os.ReadFile(pb)
	if string(x) != string(y) || len(x) == 0 {
		t.Fatal("exported files differ")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp*")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

func TestWorldSplitsDisjoint(t *testing.T) {
	w := newWorld(t, Config{Seed: 9})
	if len(w.Train) != 96 || len(w.HeldOut) != 24 || len(w.HeldOutTopics) != 12 || len(w.TrainTopics) != NumTopics-12 {
		t.Fatalf("sizes: %d %d %d %d", len(w.Train), len(w.HeldOut), len(w.HeldOutTopics), len(w.TrainTopics))
	}
	ids := map[string]bool{}
	for _, u := range w.Train {
		ids[u.ID] = true
	}
	heldTopic := map[string]bool{}
	for _, tp := range w.HeldOutTopics {
		heldTopic[tp] = true
	}
	for _, tp := range w.TrainTopics {
		if heldTopic[tp] {
			t.Fatalf("topic %q on both sides", tp)
		}
	}
	for _, u := range w.HeldOut {
		if ids[u.ID] || !u.HeldOut {
			t.Fatalf("held-out user %s also in training", u.ID)
		}
		for _, p := range u.Pairs {
			if !heldTopic[p.Topic] || !strings.Contains(p.Prompt, p.Topic) {
				t.Fatalf("held-out pair about training topic %q", p.Topic)
			}
		}
	}
	for _, u := range w.Train {
		for _, p := range u.Pairs {
			if heldTopic[p.Topic] {
				t.Fatalf("training pair about held-out topic %q", p.Topic)
			}
		}
	}
	corpus, err := w.Corpus(CorpusConfig{N: 400, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range corpus {
		for _, tp := range w.HeldOutTopics {
			if strings.Contains(ex.Prompt, tp) {
				t.Fatalf("corpus prompt %q uses held-out topic", ex.Prompt)
			}
		}
		for _, s := range ex.Signals {
			if heldTopic[s.Topic] {
				t.Fatal("corpus signals from held-out topics")
			}
		}
	}
	// Answered prompts may cover every topic; users, pairs and summaries stay on training ones.
	all, err := w.Corpus(CorpusConfig{N: 600, Seed: 3, AnswerTopics: w.AllTopics()})
	if err != nil {
		t.Fatal(err)
	}
	sawHeld := false
	for _, ex := range all {
		for _, tp := range w.HeldOutTopics {
			if !strings.Contains(ex.Prompt, tp) {
				continue
			}
			if ex.Kind == KindSummarize {
				t.Fatalf("summarize example %q uses held-out topic", ex.Prompt)
			}
			sawHeld = true
		}
		for _, s := range ex.Signals {
			if heldTopic[s.Topic] {
				t.Fatal("corpus signals from held-out topics")
			}
		}
	}
	if !sawHeld {
		t.Fatal("AnswerTopics with every topic produced no answer about a held-out topic")
	}
	if _, err := w.Corpus(CorpusConfig{N: 10, AnswerTopics: []string{}}); err == nil {
		t.Fatal("empty AnswerTopics accepted")
	}
	for _, txt := range w.Texts(200, 1) {
		for _, tp := range w.HeldOutTopics {
			if strings.Contains(txt, " "+tp+"?") || strings.Contains(txt, " "+tp+".") {
				t.Fatalf("text uses held-out topic %q: %q", tp, txt)
			}
		}
	}
}

func TestJudgePrefersChosenOnEveryPair(t *testing.T) {
	w := newWorld(t, Config{Seed: 5, NoiseRate: 0.2})
	noisy := 0
	for _, u := range append(append([]*User{}, w.Train...), w.HeldOut...) {
		for _, p := range u.Pairs {
			if got := Prefer(u.Persona, p.Chosen, p.Rejected); got != 1 {
				t.Fatalf("judge does not prefer chosen (%d) for %s:\nchosen %q\nrejected %q", got, u.Persona.Code(), p.Chosen, p.Rejected)
			}
			if Prefer(u.Persona, p.Rejected, p.Chosen) != -1 {
				t.Fatal("Prefer not antisymmetric")
			}
			if Fit(u.Persona, p.Chosen) != 1 {
				t.Fatalf("chosen fit %v", Fit(u.Persona, p.Chosen))
			}
			if p.RejectedStyle == u.Persona {
				t.Fatal("rejected style equals persona")
			}
			if p.Noisy {
				noisy++
			}
		}
	}
	total := (96 + 24) * 24
	if noisy < total/10 || noisy > total*3/10 {
		t.Fatalf("%d noisy of %d at rate 0.2", noisy, total)
	}
}

func TestDetectRecoversEveryStyleAndLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := map[string]bool{}
	minW, maxW := 1000, 0
	for _, p := range AllPersonas() {
		for i := 0; i < 300; i++ {
			r := Respond(rng, Topic(rng.IntN(NumTopics)), p)
			if d := Detect(r); d != p {
				t.Fatalf("Detect(%q) = %v, want %v", r, d.Code(), p.Code())
			}
			n := len(Words(r))
			minW, maxW = min(minW, n), max(maxW, n)
			for _, w := range Words(r) {
				vocab[w] = true
			}
		}
	}
	if minW < 10 || maxW > 45 {
		t.Fatalf("response lengths %d..%d words", minW, maxW)
	}
	for i := 0; i < 6; i++ {
		for _, w := range Words(Prompt(i, Topic(0))) {
			vocab[w] = true
		}
	}
	if len(vocab) > 400 {
		t.Fatalf("vocabulary %d words", len(vocab))
	}
	t.Logf("response words %d..%d, vocabulary %d", minW, maxW, len(vocab))
	if d := Detect(""); d[AttrLevel] != Unknown || d[AttrTone] != Unknown || d[AttrLength] != Unknown {
		t.Fatalf("empty text detected as %v", d)
	}
	// A tie in markers gives Unknown.
	if d := Detect("toy mechanism great awful"); d[AttrLevel] != Unknown || d[AttrTone] != Unknown || d[AttrLength] != Concise {
		t.Fatalf("ties: %v", d)
	}
}

func TestPersonaSentenceAndCodeRoundTrip(t *testing.T) {
	for _, p := range AllPersonas() {
		q, err := ParseSentence(p.Sentence())
		if err != nil || q != p {
			t.Fatalf("%q -> %v %v", p.Sentence(), q, err)
		}
		q, err = ParseCode(p.Code())
		if err != nil || q != p {
			t.Fatalf("%q -> %v %v", p.Code(), q, err)
		}
		if got := ParseSummary(p.Summary()); got != p {
			t.Fatalf("clean summary %q parsed as %v", p.Summary(), got)
		}
	}
	for _, bad := range []string{"", "The user is a wizard who prefers positive and concise answers.",
		"The user is a child who prefers happy and concise answers.", "The user is a child who prefers positive and concise answers"} {
		if _, err := ParseSentence(bad); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
	if _, err := ParseCode("child/positive"); err == nil {
		t.Fatal("short code accepted")
	}
}

func TestParseSummaryHandWritten(t *testing.T) {
	U, C := Unknown, Conflict
	cases := []struct {
		text string
		want Persona
	}{
		{"The user likes simple explanations for kids, with a cheerful tone, kept short.", Persona{Child, Positive, Concise}},
		{"Tone: negative. Audience: expert. Length: detailed.", Persona{Expert, Negative, Verbose}},
		{"**Preferred responses:**\n- casual, teen-friendly language\n- brief", Persona{Teen, U, Concise}},
		{"Answers should not be long and never gloomy.", Persona{U, Positive, Concise}},
		{"Avoid technical jargon; keep it upbeat.", Persona{U, Positive, U}},
		{"The user wants clear answers.", Persona{U, U, U}},
		{"Short answers, but also detailed ones, for a child or an expert.", Persona{C, U, C}},
		{"For example, the user liked: What a great question! Technically, rain is a nice process driven by energy transfer.", Persona{U, U, U}},
	}
	for _, c := range cases {
		if got := ParseSummary(c.text); got != c.want {
			t.Errorf("ParseSummary(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	s := ScoreSummary(Persona{Child, Negative, Concise}, "A short, cheerful answer.")
	if s.Correct != 1 || s.Wrong != 1 || s.Missing != 1 || s.Words != 4 {
		t.Fatalf("score %v", s)
	}
}

func TestInstructSummaries(t *testing.T) {
	w := newWorld(t, Config{Seed: 1, TrainUsers: 24, HeldOutUsers: 2})
	rng := rand.New(rand.NewPCG(7, 7))
	var correct, wrong, missing, restated, hedged, generic, words int
	n := 2000
	for i := 0; i < n; i++ {
		u := w.Train[rng.IntN(len(w.Train))]
		sum, stated := InstructSummary(rng, u.Persona, u.Pairs[:4])
		if got := ParseSummary(sum); got != stated {
			t.Fatalf("ParseSummary(%q) = %v, stated %v", sum, got, stated)
		}
		sc := ScoreSummary(u.Persona, sum)
		correct += sc.Correct
		wrong += sc.Wrong
		missing += sc.Missing
		words += sc.Words
		if strings.Contains(sum, "In Example") || strings.Contains(sum, "in Example") {
			restated++
		}
		for _, h := range []string{"might", "maybe", "perhaps", "possibly", "somewhat", "could", "may"} {
			if slices.Contains(Words(sum), h) {
				hedged++
				break
			}
		}
		for _, g := range instructGeneric {
			if strings.Contains(sum, g) {
				generic++
				break
			}
		}
		if strings.Contains(sum, "..") || strings.Contains(sum, "\".\".") {
			t.Fatalf("doubled punctuation in %q", sum)
		}
	}
	tot := float64(3 * n)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"correct", float64(correct) / tot, InstructCorrect}, {"wrong", float64(wrong) / tot, InstructWrong}, {"missing", float64(missing) / tot, InstructMissing}} {
		if c.got < c.want-0.03 || c.got > c.want+0.03 {
			t.Fatalf("%s fraction %.3f, want %.2f", c.name, c.got, c.want)
		}
	}
	// Every summary restates an example and makes a generic claim; most hedge; they are
	// several times longer than a concise summary.
	if restated != n || generic != n || hedged < n/2 {
		t.Fatalf("restated %d, generic %d, hedged %d of %d", restated, generic, hedged, n)
	}
	if mw := float64(words) / float64(n); mw < 60 || mw > 140 {
		t.Fatalf("mean %.1f words", mw)
	}
}

func TestConciseSummary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, p := range AllPersonas() {
		for i := 0; i < 20; i++ {
			s := ConciseSummary(rng, p)
			if sc := ScoreSummary(p, s); sc.Correct != NumAttrs || sc.Words > 12 {
				t.Fatalf("%v: %q scores %v", p, s, sc)
			}
		}
	}
}

func TestCorpusKindsAndConsistency(t *testing.T) {
	w := newWorld(t, Config{Seed: 2, TrainUsers: 24, HeldOutUsers: 2})
	c, err := w.Corpus(CorpusConfig{N: 1000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	count := map[Kind]int{}
	concise := 0
	for _, ex := range c {
		count[ex.Kind]++
		switch ex.Kind {
		case KindSummarize:
			if len(ex.Signals) != 4 || ex.Summary == "" || ex.Response != "" || ParseSummary(ex.Summary) != ex.Stated {
				t.Fatalf("bad summarize example %+v", ex)
			}
			if len(Words(ex.Summary)) <= 12 {
				if ex.Stated != ex.Persona {
					t.Fatalf("a concise summary states %v, persona %v: %q", ex.Stated, ex.Persona, ex.Summary)
				}
				concise++
			}
		case KindAnswerWithSummary:
			for a := Attr(0); a < NumAttrs; a++ {
				if ex.Stated[a] >= 0 && ex.Style[a] != ex.Stated[a] {
					t.Fatalf("answer ignores stated %s: %+v", a, ex)
				}
			}
			if Detect(ex.Response) != ex.Style {
				t.Fatal("response style mismatch")
			}
		case KindAnswerWithPairs:
			if ex.Style != ex.Persona || len(ex.Signals) != 4 || Fit(ex.Persona, ex.Response) != 1 {
				t.Fatalf("bad pairs example %+v", ex)
			}
		case KindAnswerBase:
			if ex.Prompt == "" || Detect(ex.Response) != ex.Style || len(ex.Signals) != 0 || ex.Summary != "" {
				t.Fatalf("bad base example %+v", ex)
			}
		}
	}
	// The default ConciseSummaryRate: a quarter of the summaries are concise and correct.
	if f := float64(concise) / float64(count[KindSummarize]); f < 0.18 || f > 0.32 {
		t.Fatalf("concise summaries %d of %d", concise, count[KindSummarize])
	}
	for k := Kind(0); k < numKinds; k++ {
		if count[k] < 120 {
			t.Fatalf("kind %v only %d times: %v", k, count[k], count)
		}
	}
	for _, bad := range []CorpusConfig{{N: 0}, {N: 5, Shots: 100}, {N: 5, Mix: []float64{1}}, {N: 5, Mix: []float64{0, 0, 0, 0}}, {N: 5, Mix: []float64{1, -1, 1, 1}}} {
		if _, err := w.Corpus(bad); err == nil {
			t.Fatalf("accepted %+v", bad)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{TrainUsers: -1}, {PairsPerUser: 1}, {HeldOutTopics: 48}, {NoiseRate: 0.5}, {NoiseRate: -0.1}} {
		if _, err := New(c); err == nil {
			t.Fatalf("accepted %+v", c)
		}
	}
}
