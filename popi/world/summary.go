package world

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Summary keywords per attribute value. They are disjoint from the response markers, so
// a summary that merely restates a response does not count as stating its attributes.
var summaryKeys = [NumAttrs][][]string{
	{
		{"child", "children", "kid's", "kids", "young", "simple"},
		{"teen", "teens", "teenager", "teenagers", "casual", "informal"},
		{"expert", "experts", "technical", "professional", "advanced", "jargon"},
	},
	{
		{"positive", "cheerful", "upbeat", "optimistic", "enthusiastic", "warm"},
		{"negative", "gloomy", "critical", "pessimistic", "grumpy", "sour"},
	},
	{
		{"concise", "short", "brief", "succinct", "compact", "terse"},
		{"verbose", "long", "detailed", "lengthy", "elaborate", "wordy"},
	},
}

var negations = []string{"not", "no", "never", "avoid", "avoids", "without", "dislikes", "hates", "nor"}

// Conflict marks an attribute for which a summary states more than one value.
const Conflict = -2

// ParseSummary reads which attribute values a free-text preference summary states.
// Each attribute gets a value, Unknown (not stated) or Conflict (contradictory). A keyword
// preceded within three words by a negation ("not too long") states the other value of a
// two-valued attribute and nothing for the level.
func ParseSummary(text string) Persona {
	words := Words(text)
	var stated [NumAttrs]map[int]bool
	for a := range stated {
		stated[a] = map[int]bool{}
	}
	for i, w := range words {
		negated := false
		for j := max(0, i-3); j < i; j++ {
			if indexOf(negations, words[j]) >= 0 {
				negated = true
			}
		}
		for a := Attr(0); a < NumAttrs; a++ {
			for v, keys := range summaryKeys[a] {
				if indexOf(keys, w) < 0 {
					continue
				}
				switch {
				case !negated:
					stated[a][v] = true
				case a.NumValues() == 2:
					stated[a][1-v] = true
				}
			}
		}
	}
	var p Persona
	for a := Attr(0); a < NumAttrs; a++ {
		switch len(stated[a]) {
		case 0:
			p[a] = Unknown
		case 1:
			for v := range stated[a] {
				p[a] = v
			}
		default:
			p[a] = Conflict
		}
	}
	return p
}

// SummaryScore says how a summary matches a persona, attribute by attribute.
type SummaryScore struct {
	Correct int // attributes stated with the persona's value
	Wrong   int // attributes stated with another value, or contradictory
	Missing int // attributes not stated
	Words   int // length of the summary in words
}

// Accuracy is Correct / NumAttrs.
func (s SummaryScore) Accuracy() float64 { return float64(s.Correct) / NumAttrs }

func (s SummaryScore) String() string {
	return fmt.Sprintf("%d correct, %d wrong, %d missing, %d words", s.Correct, s.Wrong, s.Missing, s.Words)
}

// ScoreSummary compares the attributes a summary states with the persona.
func ScoreSummary(p Persona, summary string) SummaryScore {
	st := ParseSummary(summary)
	s := SummaryScore{Words: len(Words(summary))}
	for a := Attr(0); a < NumAttrs; a++ {
		switch st[a] {
		case Unknown:
			s.Missing++
		case p[a]:
			s.Correct++
		default:
			s.Wrong++
		}
	}
	return s
}

// Confident attribute statements of a summary. %s is a summary keyword or phrase.
var (
	summaryLevelPhrases = []string{
		"The preferred answers seem written for %s.",
		"It looks like the user wants answers for %s.",
		"The user likes explanations aimed at %s.",
	}
	// summaryLevelNouns fill the level phrases; each states its level through a keyword.
	summaryLevelNouns = [3][]string{
		{"young kids", "a child", "children", "kids who like simple words"},
		{"a teenager", "teens", "casual teen readers", "teenagers"},
		{"an expert", "experts", "technical readers", "professional readers"},
	}
	summaryTonePhrases = []string{
		"The tone of the chosen answers is %s.",
		"The user enjoys %s answers.",
		"Answers should sound %s.",
	}
	summaryLengthPhrases = []string{
		"The user prefers %s answers.",
		"Responses that are %s are chosen more often.",
		"Keep the answers %s.",
	}
)

// statedSummaryKeyword picks a word or phrase stating value v of attribute a.
func statedSummaryKeyword(rng *rand.Rand, a Attr, v int) string {
	if a == AttrLevel {
		return pick(rng, summaryLevelNouns[v])
	}
	return pick(rng, summaryKeys[a][v][:4])
}

// firstSentences keeps the first n sentences of a text.
func firstSentences(text string, n int) string {
	end := 0
	for i := 0; i < n; i++ {
		j := strings.IndexAny(text[end:], ".!?")
		if j < 0 {
			return text
		}
		end += j + 1
	}
	return text[:end]
}
