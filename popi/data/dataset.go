package data

import (
	"fmt"
	"sort"
	"strings"
)

// Family names a dataset family; it selects the record schema and the prompting templates.
type Family int

const (
	// FamilyELIX is the FSPO ELIX dataset (explanations for five education levels).
	FamilyELIX Family = iota
	// FamilyReview is the FSPO Review dataset (sentiment and conciseness of reviews).
	FamilyReview
	// FamilyRoleplay is the FSPO Roleplay dataset (dialogue for complex personas).
	FamilyRoleplay
	// FamilyAlignX is the AlignX forum-comment dataset.
	FamilyAlignX
)

var familyNames = [...]string{"elix", "review", "roleplay", "alignx"}

// String returns the lower-case family name used on command lines and in reports.
func (f Family) String() string {
	if f < 0 || int(f) >= len(familyNames) {
		return fmt.Sprintf("Family(%d)", int(f))
	}
	return familyNames[f]
}

// ParseFamily maps a name (case-insensitive) to its Family.
func ParseFamily(name string) (Family, error) {
	for i, n := range familyNames {
		if strings.EqualFold(strings.TrimSpace(name), n) {
			return Family(i), nil
		}
	}
	return 0, fmt.Errorf("popi: unknown dataset family %q (want one of %s)", name, strings.Join(familyNames[:], ", "))
}

// IsFSPO reports whether the family uses preference-pair user signals (ELIX, Review, Roleplay).
func (f Family) IsFSPO() bool { return f == FamilyELIX || f == FamilyReview || f == FamilyRoleplay }

// DefaultShots is the number of preference pairs used as user signals in the paper:
// four for ELIX and Review, eight for Roleplay (zero for AlignX, whose signals differ).
func (f Family) DefaultShots() int {
	switch f {
	case FamilyELIX, FamilyReview:
		return 4
	case FamilyRoleplay:
		return 8
	}
	return 0
}

// PrefPair is one preference-labelled example: a prompt with its chosen and rejected responses.
type PrefPair struct {
	Prompt   string `json:"prompt"`
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`
}

// Source locates a record in the file it was read from (Line for JSONL/JSON, Row for parquet;
// both 1-based, the other is zero).
type Source struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Row  int    `json:"row,omitempty"`
}

func (s Source) String() string {
	switch {
	case s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.Row > 0:
		return fmt.Sprintf("%s: row %d", s.File, s.Row)
	}
	return s.File
}

// User is one user of an FSPO-style dataset: every preference pair this user labelled,
// in file order, and the ground-truth persona text, which is for the judge only.
type User struct {
	ID      string
	Persona string
	// Traits are Roleplay's score_persona.traits (age, continent, gender, trait_uuid), kept
	// for reports; nil for the other families.
	Traits  map[string]string
	Pairs   []PrefPair
	Sources []Source // Sources[i] is where Pairs[i] was read
}

// Dataset is an FSPO-style dataset grouped by user; Users is sorted by ID.
type Dataset struct {
	Family Family
	Users  []*User
	// Notes are counted warnings of the load (rows dropped as the dataset authors' loader
	// drops them), for the run log.
	Notes []string
}

// NumPairs is the total number of preference pairs over all users.
func (d *Dataset) NumPairs() int {
	n := 0
	for _, u := range d.Users {
		n += len(u.Pairs)
	}
	return n
}

// User returns the user with the given ID, or nil.
func (d *Dataset) User(id string) *User {
	i := sort.Search(len(d.Users), func(i int) bool { return d.Users[i].ID >= id })
	if i < len(d.Users) && d.Users[i].ID == id {
		return d.Users[i]
	}
	return nil
}

// UserIDs lists the user IDs in sorted order.
func (d *Dataset) UserIDs() []string {
	ids := make([]string, len(d.Users))
	for i, u := range d.Users {
		ids[i] = u.ID
	}
	return ids
}
