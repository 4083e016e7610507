package world

// toneMarkers are the words Detect counts for tone: the tone adjectives plus the
// tone words of openers.
var toneMarkers = [2][]string{
	append([]string{"love"}, toneAdjectives[Positive]...),
	append([]string{"sadly", "ugh"}, toneAdjectives[Negative]...),
}

// Unknown marks an attribute value that could not be recovered.
const Unknown = -1

// Detect recovers the style of a text from its markers: the level and tone with the most
// marker words (Unknown when none, or a tie), and the length from the word count.
func Detect(text string) Persona {
	words := Words(text)
	count := func(sets [][]string) int {
		best, bestN, tie := Unknown, 0, false
		for v, set := range sets {
			n := 0
			for _, w := range words {
				if indexOf(set, w) >= 0 {
					n++
				}
			}
			switch {
			case n > bestN:
				best, bestN, tie = v, n, false
			case n == bestN && n > 0:
				tie = true
			}
		}
		if tie {
			return Unknown
		}
		return best
	}
	var p Persona
	p[AttrLevel] = count(levelMarkers[:])
	p[AttrTone] = count(toneMarkers[:])
	p[AttrLength] = Verbose
	if len(words) <= maxConciseWords {
		p[AttrLength] = Concise
	}
	if len(words) == 0 {
		p[AttrLength] = Unknown
	}
	return p
}

// Fit scores how well a text fits a persona: the fraction of attributes whose detected
// value matches (0, 1/3, 2/3 or 1).
func Fit(p Persona, text string) float64 {
	d := Detect(text)
	n := 0
	for a := Attr(0); a < NumAttrs; a++ {
		if d[a] == p[a] {
			n++
		}
	}
	return float64(n) / NumAttrs
}

// Prefer compares two texts for a persona: +1 when a fits better, -1 when b does, 0 on a tie.
func Prefer(p Persona, a, b string) int {
	fa, fb := Fit(p, a), Fit(p, b)
	switch {
	case fa > fb:
		return 1
	case fa < fb:
		return -1
	}
	return 0
}
