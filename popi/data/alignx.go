package data

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// AlignX column names, as the AlignX authors document the format
// (https://github.com/JinaLeejnl/AlignX README, "Dataset Format"; data at
// https://huggingface.co/datasets/JinaLeejnl/AlignX, test splits at
// https://huggingface.co/datasets/JinaLeejnl/AlignX-test): the target pair prompt/chosen/
// rejected with its 90-value "Preference Direction", a "Demographic Information" string,
// "User-Generated Content" (a list of {prompt, comment, Preference Direction}) and
// "Pair-wise Comparative Feedback" (a list of {prompt, chosen, rejected, Preference
// Direction}). The per-item directions are optional here (older exports lack them).
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

// UGCItem is one piece of user-generated content: a post and the user's comment on it,
// with the item's preference direction (nil when the export has none).
type UGCItem struct {
	Prompt    string    `json:"prompt"`
	Comment   string    `json:"comment"`
	Direction []float64 `json:"direction,omitempty"`
}

// AlignXRecord is one normalised AlignX row: a target preference pair with the user's signals.
type AlignXRecord struct {
	Target      PrefPair
	Demographic string
	UGC         []UGCItem
	Pairs       []PrefPair
	// PairDirections[i] is Pairs[i]'s preference direction (nil when absent).
	PairDirections [][]float64
	Direction      []float64 // the target's direction; nil when the column is absent
	Source         Source
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
		if u.Direction, err = record(m).direction(src, fmt.Sprintf("%s[%d].", ColAlignXUGC, i)); err != nil {
			return out, err
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
		d, err := record(m).direction(src, fmt.Sprintf("%s[%d].", ColAlignXPairs, i))
		if err != nil {
			return out, err
		}
		out.Pairs = append(out.Pairs, p)
		out.PairDirections = append(out.PairDirections, d)
	}
	if out.Direction, err = rec.direction(src, ""); err != nil {
		return out, err
	}
	return out, nil
}

// direction reads an optional 90-value "Preference Direction" (values 0, 0.5, 1); prefix
// names the enclosing item in errors.
func (r record) direction(src Source, prefix string) ([]float64, error) {
	if v, ok := r[ColAlignXDirection]; !ok || v == nil {
		return nil, nil
	}
	field := prefix + ColAlignXDirection
	dir, err := r.list(ColAlignXDirection)
	if err != nil {
		return nil, fieldErr(src, field, err)
	}
	if len(dir) != AlignXDirectionDims {
		return nil, fieldErr(src, field, fmt.Errorf("want %d values, got %d", AlignXDirectionDims, len(dir)))
	}
	out := make([]float64, len(dir))
	for i, v := range dir {
		f, ok := toFloat(v)
		if !ok || (f != 0 && f != 0.5 && f != 1) {
			return nil, fieldErr(src, fmt.Sprintf("%s[%d]", field, i), fmt.Errorf("must be 0, 0.5 or 1, got %v", v))
		}
		out[i] = f
	}
	return out, nil
}

// LoadAlignX reads AlignX rows from .jsonl, .json or .parquet files (or directories of
// shards, see ExpandPaths). Nested columns may be real lists or JSON text holding lists. A
// bad row stops the load with a *RecordError.
func LoadAlignX(paths ...string) ([]AlignXRecord, error) {
	files, err := ExpandPaths(paths)
	if err != nil {
		return nil, err
	}
	var out []AlignXRecord
	for _, p := range files {
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
