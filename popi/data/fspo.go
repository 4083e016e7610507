package data

import (
	"errors"
	"fmt"
	"sort"
)

// FSPO column names. ELIX and Review share one schema, Roleplay has its own.
const (
	ColPrompt      = "prompt"
	ColResponseX   = "response_x"
	ColResponseY   = "response_y"
	ColLabel       = "label" // 0 = response_x preferred, 1 = response_y preferred
	ColLevelX      = "level_x"
	ColLevelY      = "level_y"
	ColScorerLevel = "scorer_level" // identifies the user
	// ColPersona is optional in ELIX/Review files: the ground-truth persona text of the
	// scorer. Without it the scorer_level itself is the persona (as in ELIX).
	ColPersona = "persona"

	ColRoleplayPrompt   = "x"
	ColRoleplayChosen   = "yw"
	ColRoleplayRejected = "yl"
	ColRoleplayLevel    = "level" // identifies the user
	ColRoleplayPersona  = "score_persona"
)

// FSPORecord is one normalised row of an FSPO-style file.
type FSPORecord struct {
	UserID  string
	Persona string
	Pair    PrefPair
	// LevelChosen and LevelRejected are the levels the two responses were written for
	// (ELIX/Review level_x/level_y reordered by the label; empty for Roleplay).
	LevelChosen, LevelRejected string
}

// ParseFSPORecord parses one JSON object of the given FSPO family.
// Errors are *RecordError values naming the field (Source is left empty).
func ParseFSPORecord(fam Family, line []byte) (FSPORecord, error) {
	rec, err := parseJSONObject(line)
	if err != nil {
		return FSPORecord{}, &RecordError{Err: err}
	}
	return parseFSPO(fam, rec, Source{})
}

func parseFSPO(fam Family, rec record, src Source) (FSPORecord, error) {
	var out FSPORecord
	get := func(dst *string, field string, read func(string) (string, error)) error {
		s, err := read(field)
		if err != nil {
			return fieldErr(src, field, err)
		}
		*dst = s
		return nil
	}
	switch fam {
	case FamilyELIX, FamilyReview:
		var x, y string
		var lx, ly string
		for _, g := range []struct {
			dst   *string
			field string
			read  func(string) (string, error)
		}{
			{&out.Pair.Prompt, ColPrompt, rec.str},
			{&x, ColResponseX, rec.str},
			{&y, ColResponseY, rec.str},
			{&out.UserID, ColScorerLevel, rec.idString},
			{&out.Persona, ColPersona, rec.optStr},
		} {
			if err := get(g.dst, g.field, g.read); err != nil {
				return out, err
			}
		}
		// Levels are informative only; they may be absent but must be well-typed.
		for _, g := range []struct {
			dst   *string
			field string
		}{{&lx, ColLevelX}, {&ly, ColLevelY}} {
			if _, ok := rec[g.field]; !ok || rec[g.field] == nil {
				continue
			}
			if err := get(g.dst, g.field, rec.idString); err != nil {
				return out, err
			}
		}
		lab, err := rec.label(ColLabel)
		if err != nil {
			return out, fieldErr(src, ColLabel, err)
		}
		if lab == 0 {
			out.Pair.Chosen, out.Pair.Rejected = x, y
			out.LevelChosen, out.LevelRejected = lx, ly
		} else {
			out.Pair.Chosen, out.Pair.Rejected = y, x
			out.LevelChosen, out.LevelRejected = ly, lx
		}
		if out.Persona == "" {
			out.Persona = out.UserID
		}
		if x == y {
			return out, fieldErr(src, ColResponseY, errors.New("identical to response_x: the pair carries no preference"))
		}
	case FamilyRoleplay:
		for _, g := range []struct {
			dst   *string
			field string
			read  func(string) (string, error)
		}{
			{&out.Pair.Prompt, ColRoleplayPrompt, rec.str},
			{&out.Pair.Chosen, ColRoleplayChosen, rec.str},
			{&out.Pair.Rejected, ColRoleplayRejected, rec.str},
			{&out.UserID, ColRoleplayLevel, rec.idString},
			{&out.Persona, ColRoleplayPersona, rec.str},
		} {
			if err := get(g.dst, g.field, g.read); err != nil {
				return out, err
			}
		}
		if out.Pair.Chosen == out.Pair.Rejected {
			return out, fieldErr(src, ColRoleplayRejected, errors.New("identical to yw: the pair carries no preference"))
		}
	default:
		return out, fmt.Errorf("popi: family %v is not an FSPO-style dataset", fam)
	}
	return out, nil
}

// LoadFSPO reads one or more FSPO-style files (.jsonl, .json or .parquet) of the given family
// and groups the pairs by user (scorer_level for ELIX/Review, level for Roleplay). A bad record
// stops the load with a *RecordError naming file, line or row, and field. A user whose
// records disagree on the persona text is an error too.
func LoadFSPO(fam Family, paths ...string) (*Dataset, error) {
	if !fam.IsFSPO() {
		return nil, fmt.Errorf("popi: LoadFSPO: family %v is not ELIX, Review or Roleplay", fam)
	}
	if len(paths) == 0 {
		return nil, errors.New("popi: LoadFSPO: no files given")
	}
	users := map[string]*User{}
	for _, p := range paths {
		err := readRecords(p, func(rec record, src Source) error {
			r, err := parseFSPO(fam, rec, src)
			if err != nil {
				return err
			}
			u := users[r.UserID]
			if u == nil {
				u = &User{ID: r.UserID, Persona: r.Persona}
				users[r.UserID] = u
			} else if u.Persona != r.Persona {
				field := ColPersona
				if fam == FamilyRoleplay {
					field = ColRoleplayPersona
				}
				return fieldErr(src, field, fmt.Errorf("user %q already has persona %q (first at %s), this record says %q",
					r.UserID, clip(u.Persona, 80), u.Sources[0], clip(r.Persona, 80)))
			}
			u.Pairs = append(u.Pairs, r.Pair)
			u.Sources = append(u.Sources, src)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	d := &Dataset{Family: fam}
	for _, u := range users {
		d.Users = append(d.Users, u)
	}
	sort.Slice(d.Users, func(i, j int) bool { return d.Users[i].ID < d.Users[j].ID })
	return d, nil
}

// clip shortens s to at most n bytes for error messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
