package data

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// FSPO column names, as the FSPO authors' loader (preference_datasets.py of the code linked
// from https://fewshot-preference-optimization.github.io/: get_elix, get_review,
// get_roleplay) reads the published datasets. ELIX (Asap7772/elix_generations_gpt4omini_pref
// and its autolabel variant) and Review (Asap7772/steered_reviews_full_autolabel_gpt4o_pref)
// share one schema: prompt, response_x, response_y, label (0: response_x preferred),
// level_x, level_y (the levels the responses were written for) and scorer_level (the
// user), plus columns we ignore (model_name_x, model_name_y, det_choice, scorer_level_id,
// __index_level_0__). Roleplay (sher222/persona-iterative-responses) has x, yw, yl, level
// and the score_persona struct (roleplay.go). Every user in the files is kept: the
// authors' get_review keeps only the four single-attribute levels (positive, negative,
// concise, verbose) unless do_interpolation is set, so filter the files to reproduce that.
const (
	ColPrompt      = "prompt"
	ColResponseX   = "response_x"
	ColResponseY   = "response_y"
	ColLabel       = "label" // 0 = response_x preferred, 1 = response_y preferred
	ColLevelX      = "level_x"
	ColLevelY      = "level_y"
	ColScorerLevel = "scorer_level" // identifies the user
	// ColPersona is not in the published ELIX/Review files: an optional ground-truth
	// persona text of the scorer (the persona world writes it). Without it the persona is
	// the FSPO authors' sentence for the level (fspoPersona).
	ColPersona = "persona"

	ColRoleplayPrompt   = "x"
	ColRoleplayChosen   = "yw"
	ColRoleplayRejected = "yl"
	ColRoleplayLevel    = "level" // the user of plain-string score_persona exports
	ColRoleplayPersona  = "score_persona"
)

// FSPORecord is one normalised row of an FSPO-style file.
type FSPORecord struct {
	UserID  string
	Persona string
	Traits  map[string]string // Roleplay's score_persona.traits (nil otherwise)
	Pair    PrefPair
	// LevelChosen and LevelRejected are the levels the two responses were written for
	// (ELIX/Review level_x/level_y reordered by the label; empty for Roleplay).
	LevelChosen, LevelRejected string
	// ScorerMismatch marks an ELIX row of the published schema (no persona column) whose
	// scorer_level wrote neither response; the FSPO authors' get_elix drops these rows
	// (scorer_match=True), and so does LoadFSPO.
	ScorerMismatch bool
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

// fspoPersona is the ground-truth persona sentence the FSPO authors give the judge for a
// scorer level: "The user is <level>." for ELIX, "This user prefers <a> and <b> reviews."
// for Review levels such as "positive+concise".
func fspoPersona(fam Family, level string) string {
	if fam == FamilyReview {
		return "This user prefers " + strings.ReplaceAll(level, "+", " and ") + " reviews."
	}
	return "The user is " + level + "."
}

func parseFSPO(fam Family, rec record, src Source) (FSPORecord, error) {
	switch fam {
	case FamilyELIX, FamilyReview:
		return parseELIXReview(fam, rec, src)
	case FamilyRoleplay:
		return parseRoleplay(rec, src)
	}
	return FSPORecord{}, fmt.Errorf("popi: family %v is not an FSPO-style dataset", fam)
}

type fieldRead struct {
	dst   *string
	field string
	read  func(string) (string, error)
}

func readFields(src Source, fs []fieldRead) error {
	for _, g := range fs {
		s, err := g.read(g.field)
		if err != nil {
			return fieldErr(src, g.field, err)
		}
		*g.dst = s
	}
	return nil
}

func parseELIXReview(fam Family, rec record, src Source) (FSPORecord, error) {
	var out FSPORecord
	var x, y, lx, ly string
	if err := readFields(src, []fieldRead{
		{&out.Pair.Prompt, ColPrompt, rec.str},
		{&x, ColResponseX, rec.str},
		{&y, ColResponseY, rec.str},
		{&out.UserID, ColScorerLevel, rec.idString},
		{&out.Persona, ColPersona, rec.optStr},
	}); err != nil {
		return out, err
	}
	// Levels are informative only; they may be absent but must be well-typed.
	for _, g := range []struct {
		dst   *string
		field string
	}{{&lx, ColLevelX}, {&ly, ColLevelY}} {
		if v, ok := rec[g.field]; !ok || v == nil {
			continue
		}
		if err := readFields(src, []fieldRead{{g.dst, g.field, rec.idString}}); err != nil {
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
	if x == y {
		return out, fieldErr(src, ColResponseY, errors.New("identical to response_x: the pair carries no preference"))
	}
	if out.Persona == "" {
		out.Persona = fspoPersona(fam, out.UserID)
		out.ScorerMismatch = fam == FamilyELIX && lx != "" && ly != "" && out.UserID != lx && out.UserID != ly
	}
	return out, nil
}

func parseRoleplay(rec record, src Source) (FSPORecord, error) {
	var out FSPORecord
	if err := readFields(src, []fieldRead{
		{&out.Pair.Prompt, ColRoleplayPrompt, rec.str},
		{&out.Pair.Chosen, ColRoleplayChosen, rec.str},
		{&out.Pair.Rejected, ColRoleplayRejected, rec.str},
	}); err != nil {
		return out, err
	}
	var level string
	if v, ok := rec[ColRoleplayLevel]; ok && v != nil {
		if err := readFields(src, []fieldRead{{&level, ColRoleplayLevel, rec.idString}}); err != nil {
			return out, err
		}
	}
	p, err := parseRoleplayPersona(rec, src, level)
	if err != nil {
		return out, err
	}
	out.UserID, out.Persona, out.Traits = p.User, p.Description, p.Traits
	if out.Pair.Chosen == out.Pair.Rejected {
		return out, fieldErr(src, ColRoleplayRejected, errors.New("identical to yw: the pair carries no preference"))
	}
	return out, nil
}

// LoadFSPO reads FSPO-style files (.jsonl, .json or .parquet, or directories of such shards,
// see ExpandPaths) of the given family and groups the pairs by user: scorer_level for
// ELIX/Review, score_persona.persona_uuid for Roleplay (level for plain-string personas).
// A bad record stops the load with a *RecordError naming file, line or row, and field; so
// does a user whose records disagree on the persona text. ELIX rows of the published schema
// whose scorer wrote neither response are dropped as the FSPO authors' loader does; the
// count is in the dataset's Notes.
func LoadFSPO(fam Family, paths ...string) (*Dataset, error) {
	if !fam.IsFSPO() {
		return nil, fmt.Errorf("popi: LoadFSPO: family %v is not ELIX, Review or Roleplay", fam)
	}
	files, err := ExpandPaths(paths)
	if err != nil {
		return nil, err
	}
	users := map[string]*User{}
	dropped := 0
	for _, p := range files {
		err := readRecords(p, func(rec record, src Source) error {
			r, err := parseFSPO(fam, rec, src)
			if err != nil {
				return err
			}
			if r.ScorerMismatch {
				dropped++
				return nil
			}
			u := users[r.UserID]
			if u == nil {
				u = &User{ID: r.UserID, Persona: r.Persona, Traits: r.Traits}
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
	if len(d.Users) == 0 {
		return nil, fmt.Errorf("popi: %s: no usable records (%d ELIX rows dropped because their scorer wrote neither response)", strings.Join(files, ", "), dropped)
	}
	sort.Slice(d.Users, func(i, j int) bool { return d.Users[i].ID < d.Users[j].ID })
	if dropped > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%d ELIX rows dropped: their scorer_level wrote neither response (the FSPO authors' scorer_match)", dropped))
	}
	return d, nil
}

// clip shortens s to at most n bytes for error messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
