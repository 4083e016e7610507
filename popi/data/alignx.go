package data

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// AlignX column names.
const (
	ColAlignXPrompt    = "prompt"
	ColAlignXChosen    = "chosen"
	ColAlignXRejected  = "rejected"
	ColAlignXDemo      = "Demographic Information"
	ColAlignXUGC       = "User-Generated Content"
	ColAlignXPairs     = "Pair-wise Comparative Feedback"
	ColAlignXDirection = "Preference Direction"
)

// AlignXDirectionDims is the length of AlignX's handcrafted preference direction.
const AlignXDirectionDims = 90

// AlignXSplit is one of the official AlignX test splits, each isolating a signal source.
type AlignXSplit int

const (
	// SplitArbitrary uses every signal source the record has.
	SplitArbitrary AlignXSplit = iota
	// SplitDEMO uses the demographic information only.
	SplitDEMO
	// SplitPAIR uses the pair-wise comparative feedback only.
	SplitPAIR
	// SplitUGC uses the user-generated content only.
	SplitUGC
)

var splitNames = [...]string{"Arbitrary", "DEMO", "PAIR", "UGC"}

func (s AlignXSplit) String() string {
	if s < 0 || int(s) >= len(splitNames) {
		return fmt.Sprintf("AlignXSplit(%d)", int(s))
	}
	return splitNames[s]
}

// ParseAlignXSplit maps a split name (case-insensitive) to its value.
func ParseAlignXSplit(name string) (AlignXSplit, error) {
	for i, n := range splitNames {
		if strings.EqualFold(strings.TrimSpace(name), n) {
			return AlignXSplit(i), nil
		}
	}
	return 0, fmt.Errorf("popi: unknown AlignX split %q (want Arbitrary, DEMO, PAIR or UGC)", name)
}

// SignalMode selects how AlignX user signals are given to the models.
type SignalMode int

const (
	// SignalsRaw renders the original heterogeneous signals (demographics, UGC, pairs).
	SignalsRaw SignalMode = iota
	// SignalsDirection renders the 90-dimensional preference direction as text.
	SignalsDirection
)

// UGCItem is one piece of user-generated content: a post and the user's comment on it.
type UGCItem struct {
	Prompt  string `json:"prompt"`
	Comment string `json:"comment"`
}

// AlignXRecord is one normalised AlignX row: a target preference pair with the user's signals.
type AlignXRecord struct {
	Target      PrefPair
	Demographic string
	UGC         []UGCItem
	Pairs       []PrefPair
	Direction   []float64 // nil when the column is absent
	Source      Source
}

func parseAlignX(rec record, src Source) (AlignXRecord, error) {
	out := AlignXRecord{Source: src}
	for _, g := range []struct {
		dst   *string
		field string
	}{{&out.Target.Prompt, ColAlignXPrompt}, {&out.Target.Chosen, ColAlignXChosen}, {&out.Target.Rejected, ColAlignXRejected}} {
		s, err := rec.str(g.field)
		if err != nil {
			return out, fieldErr(src, g.field, err)
		}
		*g.dst = s
	}
	if out.Target.Chosen == out.Target.Rejected {
		return out, fieldErr(src, ColAlignXRejected, errors.New("identical to chosen: the pair carries no preference"))
	}
	if v, ok := rec[ColAlignXDemo]; ok && v != nil {
		switch x := v.(type) {
		case string:
			out.Demographic = strings.TrimSpace(x)
		case []byte:
			out.Demographic = strings.TrimSpace(string(x))
		default:
			return out, fieldErr(src, ColAlignXDemo, fmt.Errorf("want a string, got %s", jsonKind(v)))
		}
	}
	ugc, err := rec.list(ColAlignXUGC)
	if err != nil {
		return out, fieldErr(src, ColAlignXUGC, err)
	}
	for i, it := range ugc {
		m, ok := it.(map[string]any)
		if !ok {
			return out, fieldErr(src, fmt.Sprintf("%s[%d]", ColAlignXUGC, i), fmt.Errorf("want an object, got %s", jsonKind(it)))
		}
		var u UGCItem
		if u.Prompt, err = record(m).str("prompt"); err != nil {
			return out, fieldErr(src, fmt.Sprintf("%s[%d].prompt", ColAlignXUGC, i), err)
		}
		if u.Comment, err = record(m).str("comment"); err != nil {
			return out, fieldErr(src, fmt.Sprintf("%s[%d].comment", ColAlignXUGC, i), err)
		}
		out.UGC = append(out.UGC, u)
	}
	pairs, err := rec.list(ColAlignXPairs)
	if err != nil {
		return out, fieldErr(src, ColAlignXPairs, err)
	}
	for i, it := range pairs {
		m, ok := it.(map[string]any)
		if !ok {
			return out, fieldErr(src, fmt.Sprintf("%s[%d]", ColAlignXPairs, i), fmt.Errorf("want an object, got %s", jsonKind(it)))
		}
		var p PrefPair
		for _, g := range []struct {
			dst   *string
			field string
		}{{&p.Prompt, "prompt"}, {&p.Chosen, "chosen"}, {&p.Rejected, "rejected"}} {
			if *g.dst, err = record(m).str(g.field); err != nil {
				return out, fieldErr(src, fmt.Sprintf("%s[%d].%s", ColAlignXPairs, i, g.field), err)
			}
		}
		out.Pairs = append(out.Pairs, p)
	}
	if _, ok := rec[ColAlignXDirection]; ok && rec[ColAlignXDirection] != nil {
		dir, err := rec.list(ColAlignXDirection)
		if err != nil {
			return out, fieldErr(src, ColAlignXDirection, err)
		}
		if len(dir) != AlignXDirectionDims {
			return out, fieldErr(src, ColAlignXDirection, fmt.Errorf("want %d values, got %d", AlignXDirectionDims, len(dir)))
		}
		out.Direction = make([]float64, len(dir))
		for i, v := range dir {
			f, ok := toFloat(v)
			if !ok || (f != 0 && f != 0.5 && f != 1) {
				return out, fieldErr(src, fmt.Sprintf("%s[%d]", ColAlignXDirection, i), fmt.Errorf("must be 0, 0.5 or 1, got %v", v))
			}
			out.Direction[i] = f
		}
	}
	return out, nil
}

// LoadAlignX reads AlignX rows from .jsonl, .json or .parquet files. Nested columns may be
// real lists or JSON text holding lists. A bad row stops the load with a *RecordError.
func LoadAlignX(paths ...string) ([]AlignXRecord, error) {
	if len(paths) == 0 {
		return nil, errors.New("popi: LoadAlignX: no files given")
	}
	var out []AlignXRecord
	for _, p := range paths {
		err := readRecords(p, func(rec record, src Source) error {
			r, err := parseAlignX(rec, src)
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RenderAlignXRaw renders the record's heterogeneous signals for a split as Markdown
// sections; a split whose source is empty in this record is an error naming the column.
func (r *AlignXRecord) RenderAlignXRaw(split AlignXSplit) (string, error) {
	var b strings.Builder
	section := func(title string) {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("## " + title + "\n")
	}
	useDemo := split == SplitArbitrary || split == SplitDEMO
	useUGC := split == SplitArbitrary || split == SplitUGC
	usePairs := split == SplitArbitrary || split == SplitPAIR
	if useDemo && r.Demographic != "" {
		section("Demographic Information")
		b.WriteString(r.Demographic)
	}
	if useUGC && len(r.UGC) > 0 {
		section("User-Generated Content")
		for i, u := range r.UGC {
			fmt.Fprintf(&b, "\n### Post %d\n%s\n### Comment %d\n%s\n", i+1, u.Prompt, i+1, u.Comment)
		}
	}
	if usePairs && len(r.Pairs) > 0 {
		section("Pair-wise Comparative Feedback")
		for i, p := range r.Pairs {
			fmt.Fprintf(&b, "\n### Post %d\n%s\n### Preferred Comment %d\n%s\n### Dispreferred Comment %d\n%s\n",
				i+1, p.Prompt, i+1, p.Chosen, i+1, p.Rejected)
		}
	}
	if b.Len() == 0 {
		col := map[AlignXSplit]string{SplitArbitrary: "any signal column", SplitDEMO: ColAlignXDemo, SplitUGC: ColAlignXUGC, SplitPAIR: ColAlignXPairs}[split]
		return "", fieldErr(r.Source, col, fmt.Errorf("no user signals for split %v", split))
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// RenderAlignXDirection renders the 90-dim preference direction as one line per
// non-neutral dimension: value 1 as "prefers", 0 as "avoids"; 0.5 (neutral) is left out.
// names, if not nil, must hold 90 dimension names; otherwise "dimension k" is used.
func (r *AlignXRecord) RenderAlignXDirection(names []string) (string, error) {
	if r.Direction == nil {
		return "", fieldErr(r.Source, ColAlignXDirection, errMissing)
	}
	if names != nil && len(names) != AlignXDirectionDims {
		return "", fmt.Errorf("popi: %d direction names given, want %d", len(names), AlignXDirectionDims)
	}
	var lines []string
	for i, v := range r.Direction {
		name := fmt.Sprintf("dimension %d", i+1)
		if names != nil {
			name = names[i]
		}
		switch v {
		case 1:
			lines = append(lines, "- prefers: "+name)
		case 0:
			lines = append(lines, "- avoids: "+name)
		}
	}
	if len(lines) == 0 {
		return "- no strong preference on any dimension", nil
	}
	return strings.Join(lines, "\n"), nil
}

// UserKey identifies the user behind a record by its signals (AlignX has no user column):
// records with identical signals belong to the same user.
func (r *AlignXRecord) UserKey() string {
	var b strings.Builder
	b.WriteString(r.Demographic)
	for _, u := range r.UGC {
		b.WriteString("\x00" + u.Prompt + "\x00" + u.Comment)
	}
	for _, p := range r.Pairs {
		b.WriteString("\x01" + p.Prompt + "\x00" + p.Chosen + "\x00" + p.Rejected)
	}
	for _, v := range r.Direction {
		fmt.Fprintf(&b, "\x02%g", v)
	}
	return fmt.Sprintf("alignx-%016x", seedHash(0, b.String()))
}

// AlignXEpisodes turns records into one-target episodes whose SignalText holds the
// rendered signals for the mode and split. names is passed to RenderAlignXDirection.
func AlignXEpisodes(recs []AlignXRecord, mode SignalMode, split AlignXSplit, names []string) ([]Episode, error) {
	out := make([]Episode, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		var text string
		var err error
		if mode == SignalsDirection {
			text, err = r.RenderAlignXDirection(names)
		} else {
			text, err = r.RenderAlignXRaw(split)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Episode{UserID: r.UserKey(), SignalText: text, Targets: []PrefPair{r.Target}})
	}
	return out, nil
}

// SplitAlignXUsers splits records by user (UserKey) with the same deterministic rule as
// SplitUsers: no user has records on both sides.
func SplitAlignXUsers(recs []AlignXRecord, heldOutFrac float64, seed uint64) (train, heldOut []AlignXRecord, err error) {
	byUser := map[string][]int{}
	d := &Dataset{Family: FamilyAlignX}
	for i := range recs {
		k := recs[i].UserKey()
		if _, ok := byUser[k]; !ok {
			d.Users = append(d.Users, &User{ID: k})
		}
		byUser[k] = append(byUser[k], i)
	}
	sort.Slice(d.Users, func(i, j int) bool { return d.Users[i].ID < d.Users[j].ID })
	tr, ho, err := SplitUsers(d, heldOutFrac, seed)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range tr.Users {
		for _, i := range byUser[u.ID] {
			train = append(train, recs[i])
		}
	}
	for _, u := range ho.Users {
		for _, i := range byUser[u.ID] {
			heldOut = append(heldOut, recs[i])
		}
	}
	return train, heldOut, nil
}
