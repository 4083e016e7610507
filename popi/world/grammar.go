package world

import (
	"math/rand/v2"
	"strings"
)

// The grammar. Every response is an opener (carrying the tone) followed by body sentences
// (carrying the level); concise responses have one body sentence (11-20 words), verbose
// ones three (26-46 words). Level and tone markers are disjoint word sets, so Detect recovers the style
// of every generated response exactly. The vocabulary stays at a few hundred words.

// topics: the first ones go to training users, the rest to held-out users (see Config).
var topics = []string{
	"the moon", "rain", "magnets", "volcanoes", "bread", "batteries", "rainbows", "bees",
	"clouds", "trees", "the ocean", "snow", "fire", "music", "the heart", "bridges",
	"trains", "robots", "stars", "wind", "sand", "ice", "birds", "fish",
	"soap", "paper", "glass", "clocks", "maps", "money", "boats", "plants",
	"sleep", "dreams", "cheese", "rivers", "mountains", "lightning", "earthquakes", "tides",
	"the sun", "seeds", "honey", "milk", "phones", "bicycles", "rockets", "eggs",
}

// NumTopics is the number of topics in the world.
var NumTopics = len(topics)

var promptForms = []string{
	"How does %s work?",
	"Why is %s important?",
	"Tell me about %s.",
	"What is %s?",
	"Can you explain %s?",
	"What should I know about %s?",
}

// Tone words fill the {A} slot of body sentences; openers and closers carry tone too.
var toneAdjectives = [2][]string{
	{"great", "nice", "wonderful", "amazing", "lovely", "bright", "sweet"},
	{"boring", "awful", "annoying", "messy", "dull", "nasty", "ugly"},
}

var toneOpeners = [2][]string{
	{"What a great question!", "Oh, I love this one!", "This is a wonderful thing to learn.", "Nice, this is an amazing topic."},
	{"Sadly, this one is dull.", "Ugh, this is an annoying topic.", "Well, this is a boring question.", "Oh no, this is a messy one."},
}

// Body sentences per level: {T} is the topic, {A} a tone adjective. Level markers only
// appear in the sentences of their own level.
var levelSentences = [3][]string{
	{ // child
		"{T} is like a {A} toy that you can play with.",
		"You can see {T} when you go outside with mom.",
		"A little kid can think of {T} as a big {A} friend.",
		"{T} makes your tummy feel {A}, just like a game.",
		"Think of {T} as a tiny {A} box full of toys.",
		"Your teddy bear would say {T} is {A} and big.",
	},
	{ // teen
		"Basically, {T} is a pretty {A} thing.",
		"{T} is kind of {A} if you think about it.",
		"So yeah, {T} works like stuff in a video game, pretty {A}.",
		"Lots of people at school think {T} is {A}.",
		"The cool part is that {T} is kind of {A}, honestly.",
		"My friends and I think {T} is lowkey {A}.",
	},
	{ // expert
		"Technically, {T} is a {A} process driven by energy transfer.",
		"The underlying mechanism of {T} involves a {A} structure.",
		"Precisely speaking, {T} follows a {A} system of physical rules.",
		"In formal terms, the process behind {T} is {A} but well defined.",
		"Research shows the structure of {T} is {A} and measurable.",
		"The dynamics of {T} depend on a {A} equilibrium of forces.",
	},
}

// Level markers used by Detect; each appears only in its own level's sentences.
var levelMarkers = [3][]string{
	{"toy", "toys", "mom", "kid", "tummy", "tiny", "teddy", "little"},
	{"basically", "pretty", "kind", "stuff", "school", "cool", "honestly", "lowkey", "yeah", "friends"},
	{"technically", "mechanism", "precisely", "formal", "research", "dynamics", "underlying", "equilibrium", "measurable", "energy"},
}

// concise responses have at most maxConciseWords words; verbose ones more.
const maxConciseWords = 23

// Topic returns topic i.
func Topic(i int) string { return topics[i] }

// Prompt renders prompt form f about a topic.
func Prompt(form int, topic string) string {
	return strings.Replace(promptForms[form%len(promptForms)], "%s", topic, 1)
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// Respond writes a response about topic in the given style.
func Respond(rng *rand.Rand, topic string, style Persona) string {
	parts := []string{pick(rng, toneOpeners[style[AttrTone]])}
	n := 1
	if style[AttrLength] == Verbose {
		n = 3
	}
	sentences := levelSentences[style[AttrLevel]]
	perm := rng.Perm(len(sentences))
	for i := 0; i < n; i++ {
		s := strings.ReplaceAll(sentences[perm[i]], "{T}", topic)
		s = strings.ReplaceAll(s, "{A}", pick(rng, toneAdjectives[style[AttrTone]]))
		parts = append(parts, capitalize(s))
	}
	return strings.Join(parts, " ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Words splits text into lower-case words (letters and apostrophes only).
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '\'')
	})
}
