package world

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// The summary writer's two registers. An untrained instruct model asked for "a concise and
// structured summary" of preference pairs (the paper's Inference-Prompting: 536 tokens on
// ELIX) answers at length: it announces what it is doing, restates the examples, hedges,
// adds claims true of every user and details of the examples that say nothing about the
// user, and sometimes guesses an attribute wrongly. The same model can also write the short
// correct summary a well-optimized inference model converges to (52 tokens in the paper).
// The pretraining corpus teaches both, so that Stage 1 has something to remove.

// Attribute guesses of an instruct summary: stated with the persona's value, left out, or
// guessed wrongly (these probabilities sum to 1).
const (
	InstructCorrect = 0.65
	InstructMissing = 0.20
	InstructWrong   = 0.15
	// InstructHedge is the probability that a stated attribute is hedged.
	InstructHedge = 0.5
)

var (
	// Preambles; like an instruct model's, most open the same way.
	instructPreambles = []string{
		"Based on the examples provided, here is a summary of the user's preferences.",
		"Based on the comparisons above, I can make some observations about what this user prefers.",
		"Based on my analysis of the examples, a few patterns emerge.",
		"Here is a summary of the user's preferences based on the comparisons above.",
		"Sure! Looking at the preferred and dispreferred responses, a few patterns emerge.",
	}
	// Hedged attribute statements; %s is the stating word or phrase (as in the confident
	// statements of InstructSummary). No negation precedes it.
	instructLevelHedges = []string{
		"It is hard to be certain, but the chosen answers might be aimed at %s.",
		"Possibly the user wants explanations for %s, though this is only a guess.",
		"The user may be looking for answers suited to %s.",
	}
	instructToneHedges = []string{
		"The preferred answers seem to have a somewhat %s tone.",
		"Perhaps the user enjoys %s answers, but it is difficult to say.",
		"It appears that a %s tone could be preferred.",
	}
	instructLengthHedges = []string{
		"The user might like answers that are %s, although it varies.",
		"It seems that %s responses could be preferred in some cases.",
		"Maybe the user leans towards %s answers.",
	}
	// Claims that hold for every user; no summary keyword.
	instructGeneric = []string{
		"The user values answers that are accurate, clear and helpful.",
		"The user appreciates responses that answer the question directly.",
		"Good responses for this user should be relevant and well organized.",
		"The user seems to care about the quality of the information.",
		"The user would like responses that are easy to follow.",
		"Like most people, the user prefers answers that stay on topic.",
		"It is important to be respectful and informative with this user.",
		"The user likes it when the answer explains the main idea.",
	}
	instructClosings = []string{
		"Overall, future responses should keep these preferences in mind.",
		"I hope this summary helps guide future responses!",
		"These observations are based on a small number of examples, so they may change with more data.",
		"In summary, the user wants helpful answers that match the style of the preferred examples.",
		"Let me know if you would like me to look at any example more closely.",
	}
)

// instructRestatement restates example i (0-based) of the signals: its prompt, the start
// of its preferred response, or what the user turned down.
func instructRestatement(rng *rand.Rand, i int, ex Pair) string {
	n := i + 1
	switch rng.IntN(3) {
	case 0:
		return fmt.Sprintf("In Example %d, the user asked \"%s\" and preferred the response that begins \"%s\"", n, ex.Prompt, firstSentences(ex.Chosen, 1))
	case 1:
		return fmt.Sprintf("For instance, in Example %d the preferred response was: \"%s\"", n, firstSentences(ex.Chosen, 2))
	}
	return fmt.Sprintf("In Example %d, the user rejected the response \"%s\"", n, firstSentences(ex.Rejected, 1))
}

// instructDetail is a detail of the examples that says nothing about the user.
func instructDetail(rng *rand.Rand, examples []Pair) string {
	if len(examples) == 0 {
		return "Each example contains a prompt and two responses."
	}
	a, b := examples[rng.IntN(len(examples))], examples[rng.IntN(len(examples))]
	switch rng.IntN(4) {
	case 0:
		if a.Topic != b.Topic {
			return fmt.Sprintf("The examples cover topics such as %s and %s.", a.Topic, b.Topic)
		}
		return fmt.Sprintf("The examples include a question about %s.", a.Topic)
	case 1:
		return fmt.Sprintf("There are %d examples in total, each with a prompt and two responses.", len(examples))
	case 2:
		return fmt.Sprintf("The first example asks about %s.", examples[0].Topic)
	}
	i := rng.IntN(len(examples))
	return fmt.Sprintf("In Example %d, both responses talk about %s.", i+1, examples[i].Topic)
}

// InstructSummary writes a preference summary of a persona as an untrained instruct model
// does from the example pairs: a preamble (probability 0.9), each attribute stated
// correctly with probability InstructCorrect, left out with InstructMissing or guessed
// wrongly with InstructWrong, a stated attribute hedged with probability InstructHedge;
// then one or two generic claims (attributes and claims as a numbered list or a
// paragraph); one or two restated examples; up to two irrelevant details of the examples;
// a closing line (0.6). stated reports the value the summary states for each attribute
// (Unknown when left out), which equals ParseSummary(summary).
func InstructSummary(rng *rand.Rand, p Persona, examples []Pair) (summary string, stated Persona) {
	confident := [NumAttrs][]string{summaryLevelPhrases, summaryTonePhrases, summaryLengthPhrases}
	hedged := [NumAttrs][]string{instructLevelHedges, instructToneHedges, instructLengthHedges}
	var body []string
	for _, a := range rng.Perm(NumAttrs) {
		attr := Attr(a)
		switch r := rng.Float64(); {
		case r < InstructCorrect:
			stated[attr] = p[attr]
		case r < InstructCorrect+InstructMissing:
			stated[attr] = Unknown
			continue
		default:
			stated[attr] = (p[attr] + 1 + rng.IntN(attr.NumValues()-1)) % attr.NumValues()
		}
		phrases := confident[attr]
		if rng.Float64() < InstructHedge {
			phrases = hedged[attr]
		}
		body = append(body, fmt.Sprintf(pick(rng, phrases), statedSummaryKeyword(rng, attr, stated[attr])))
	}
	// The attributes come first, in random order, then one or two generic claims.
	for _, i := range rng.Perm(len(instructGeneric))[:1+rng.IntN(2)] {
		body = append(body, instructGeneric[i])
	}

	var b strings.Builder
	if rng.Float64() < 0.9 {
		b.WriteString(pick(rng, instructPreambles))
		b.WriteString("\n\n")
	}
	if rng.IntN(2) == 0 {
		for i, s := range body {
			fmt.Fprintf(&b, "%d. %s\n", i+1, s)
		}
		b.WriteString("\n")
	} else {
		b.WriteString(strings.Join(body, " "))
		b.WriteString("\n\n")
	}
	var extra []string
	if len(examples) > 0 {
		for _, i := range rng.Perm(len(examples))[:1+rng.IntN(min(2, len(examples)))] {
			extra = append(extra, instructRestatement(rng, i, examples[i]))
		}
	}
	for i, n := 0, rng.IntN(3); i < n; i++ {
		if d := instructDetail(rng, examples); !slices.Contains(extra, d) {
			extra = append(extra, d)
		}
	}
	rng.Shuffle(len(extra), func(i, j int) { extra[i], extra[j] = extra[j], extra[i] })
	if rng.Float64() < 0.6 {
		extra = append(extra, pick(rng, instructClosings))
	}
	for i, s := range extra {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(ensureStop(s))
	}
	return strings.TrimSpace(b.String()), stated
}

// ensureStop ends a sentence with a full stop unless it already ends in punctuation
// (possibly inside a closing quote).
func ensureStop(s string) string {
	t := strings.TrimSuffix(s, "\"")
	if strings.HasSuffix(t, ".") || strings.HasSuffix(t, "!") || strings.HasSuffix(t, "?") {
		return s
	}
	return s + "."
}

// Concise summary forms; each states all three attributes.
var conciseForms = []func(rng *rand.Rand, p Persona) string{
	func(_ *rand.Rand, p Persona) string { return p.Summary() },
	func(rng *rand.Rand, p Persona) string {
		return fmt.Sprintf("Audience: %s. Tone: %s. Length: %s.", pick(rng, summaryLevelNouns[p[AttrLevel]]),
			statedSummaryKeyword(rng, AttrTone, p[AttrTone]), statedSummaryKeyword(rng, AttrLength, p[AttrLength]))
	},
	func(rng *rand.Rand, p Persona) string {
		return fmt.Sprintf("Write %s, %s answers for %s.", statedSummaryKeyword(rng, AttrLength, p[AttrLength]),
			statedSummaryKeyword(rng, AttrTone, p[AttrTone]), pick(rng, summaryLevelNouns[p[AttrLevel]]))
	},
}

// ConciseSummary writes a short summary stating every attribute of the persona correctly,
// in one of a few forms (Persona.Summary is one of them).
func ConciseSummary(rng *rand.Rand, p Persona) string {
	return pick(rng, conciseForms)(rng, p)
}
