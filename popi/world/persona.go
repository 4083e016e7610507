package world

import (
	"fmt"
	"strings"
)

// Attr is one persona attribute.
type Attr int

const (
	// AttrLevel is the audience level: child, teen or expert.
	AttrLevel Attr = iota
	// AttrTone is the tone: positive or negative.
	AttrTone
	// AttrLength is the length: concise or verbose.
	AttrLength
	// NumAttrs is the number of attributes.
	NumAttrs = 3
)

// Attribute values.
const (
	Child  = 0
	Teen   = 1
	Expert = 2

	Positive = 0
	Negative = 1

	Concise = 0
	Verbose = 1
)

var attrNames = [NumAttrs]string{"level", "tone", "length"}

var valueNames = [NumAttrs][]string{
	{"child", "teen", "expert"},
	{"positive", "negative"},
	{"concise", "verbose"},
}

// String returns the attribute name.
func (a Attr) String() string {
	if a < 0 || a >= NumAttrs {
		return fmt.Sprintf("Attr(%d)", int(a))
	}
	return attrNames[a]
}

// NumValues is the number of values attribute a can take.
func (a Attr) NumValues() int { return len(valueNames[a]) }

// ValueName is the name of value v of attribute a.
func (a Attr) ValueName(v int) string { return valueNames[a][v] }

// Persona holds one value per attribute, indexed by Attr.
type Persona [NumAttrs]int

// AllPersonas lists every persona (3*2*2 = 12) in a fixed order.
func AllPersonas() []Persona {
	var out []Persona
	for l := 0; l < 3; l++ {
		for t := 0; t < 2; t++ {
			for n := 0; n < 2; n++ {
				out = append(out, Persona{l, t, n})
			}
		}
	}
	return out
}

// Valid reports whether every value is in range.
func (p Persona) Valid() bool {
	for a := Attr(0); a < NumAttrs; a++ {
		if p[a] < 0 || p[a] >= a.NumValues() {
			return false
		}
	}
	return true
}

// Code is the compact form "child/positive/concise", used as level_x/level_y in FSPO files.
func (p Persona) Code() string {
	return valueNames[0][p[0]] + "/" + valueNames[1][p[1]] + "/" + valueNames[2][p[2]]
}

// ParseCode parses a Code string.
func ParseCode(s string) (Persona, error) {
	parts := strings.Split(s, "/")
	if len(parts) != NumAttrs {
		return Persona{}, fmt.Errorf("world: persona code %q: want level/tone/length", s)
	}
	var p Persona
	for a := Attr(0); a < NumAttrs; a++ {
		v := indexOf(valueNames[a], parts[a])
		if v < 0 {
			return Persona{}, fmt.Errorf("world: persona code %q: unknown %s %q", s, a, parts[a])
		}
		p[a] = v
	}
	return p, nil
}

var levelNouns = [3]string{"a child", "a teenager", "an expert"}

// Sentence is the ground-truth persona sentence given to judges, e.g.
// "The user is a child who prefers positive and concise answers."
func (p Persona) Sentence() string {
	return fmt.Sprintf("The user is %s who prefers %s and %s answers.", levelNouns[p[0]], valueNames[1][p[1]], valueNames[2][p[2]])
}

// ParseSentence parses exactly the form written by Sentence.
func ParseSentence(s string) (Persona, error) {
	var p Persona
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "The user is ")
	if !ok {
		return p, fmt.Errorf("world: not a persona sentence: %q", s)
	}
	p[0] = -1
	for i, n := range levelNouns {
		if r, ok := strings.CutPrefix(rest, n+" who prefers "); ok {
			p[0], rest = i, r
		}
	}
	if p[0] < 0 {
		return p, fmt.Errorf("world: persona sentence %q: unknown level", s)
	}
	words := strings.Fields(strings.TrimSuffix(rest, " answers."))
	if len(words) != 3 || words[1] != "and" || !strings.HasSuffix(rest, " answers.") {
		return p, fmt.Errorf("world: persona sentence %q: want '<tone> and <length> answers.'", s)
	}
	if p[1] = indexOf(valueNames[1], words[0]); p[1] < 0 {
		return p, fmt.Errorf("world: persona sentence %q: unknown tone %q", s, words[0])
	}
	if p[2] = indexOf(valueNames[2], words[2]); p[2] < 0 {
		return p, fmt.Errorf("world: persona sentence %q: unknown length %q", s, words[2])
	}
	return p, nil
}

// Summary is a short, fully correct preference summary of the persona: what a well
// optimized inference model should converge to.
func (p Persona) Summary() string {
	return fmt.Sprintf("Prefers %s answers for %s, with a %s tone.", valueNames[2][p[2]], levelNouns[p[0]], valueNames[1][p[1]])
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
