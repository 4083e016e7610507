package world

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Kind is the role a corpus example teaches.
type Kind int

const (
	// KindSummarize: from preference pairs (Signals) write a preference summary (Summary).
	KindSummarize Kind = iota
	// KindAnswerWithSummary: answer Prompt conditioned on Summary; Response follows the
	// attributes the summary states (random where it states none).
	KindAnswerWithSummary
	// KindAnswerWithPairs: answer Prompt conditioned on raw pairs (Signals); Response fits
	// the user's persona.
	KindAnswerWithPairs
	// KindAnswerBase: answer Prompt with no user information; Response has a random style.
	KindAnswerBase
	numKinds
)

func (k Kind) String() string {
	switch k {
	case KindSummarize:
		return "summarize"
	case KindAnswerWithSummary:
		return "answer-summary"
	case KindAnswerWithPairs:
		return "answer-pairs"
	case KindAnswerBase:
		return "answer-base"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Example is one pretraining example. Rendering it into chat messages with the paper's
// templates is done by package popi.
type Example struct {
	Kind     Kind
	Signals  []Pair  // KindSummarize, KindAnswerWithPairs
	Summary  string  // target of KindSummarize; condition of KindAnswerWithSummary
	Prompt   string  // answer kinds
	Response string  // target of answer kinds
	Persona  Persona // the true persona of the user behind the example
	Style    Persona // answer kinds: the style Response is written in
	Stated   Persona // summary kinds: what Summary states (Unknown where nothing)
}

// CorpusConfig controls Corpus.
type CorpusConfig struct {
	N     int    // number of examples
	Seed  uint64 // sampling seed (independent of the world's seed)
	Shots int    // pairs per signal set (4 if 0)
	// MinSummaryShots, if set, makes a KindSummarize example's signal set 1 to Shots pairs
	// drawn uniformly from [MinSummaryShots, Shots]: a persona shows in every chosen
	// response, so even one pair determines it, and shorter sets are cheaper to learn from.
	MinSummaryShots int
	Mix             []float64 // weights of the four kinds in Kind order ({3, 3, 2, 2} if nil)
	// ConciseSummaryRate is the probability that a KindSummarize target is a concise
	// correct summary (ConciseSummary) instead of an instruct-style one (InstructSummary):
	// 0.25 if 0, negative for never.
	ConciseSummaryRate float64
	// CleanSummaryRate is the probability that a KindAnswerWithSummary example is
	// conditioned on a concise correct summary instead of an instruct-style one (0.3 if 0;
	// negative for never), so the generator understands both.
	CleanSummaryRate float64
	// AnswerTopics are the topics of the prompts answered in the answer kinds (the base
	// model's general knowledge); nil means the training topics. Users, their pairs and
	// the summaries written from them always come from training users (so from training
	// topics), whatever this is.
	AnswerTopics []string
}

// Corpus draws a pretraining corpus. Every user, pair and summary in it comes from the
// training users, so held-out users and their pairs stay unseen; the prompts the answer
// kinds answer are about cfg.AnswerTopics (the training topics by default).
func (w *World) Corpus(cfg CorpusConfig) ([]Example, error) {
	if cfg.N <= 0 {
		return nil, errors.New("world: Corpus: N must be positive")
	}
	shots := cfg.Shots
	if shots == 0 {
		shots = 4
	}
	if shots < 1 || shots > w.Config.PairsPerUser {
		return nil, fmt.Errorf("world: Corpus: shots %d not in [1, %d]", shots, w.Config.PairsPerUser)
	}
	minShots := cfg.MinSummaryShots
	if minShots == 0 {
		minShots = shots
	}
	if minShots < 1 || minShots > shots {
		return nil, fmt.Errorf("world: Corpus: MinSummaryShots %d not in [1, %d]", minShots, shots)
	}
	mix := cfg.Mix
	if mix == nil {
		mix = []float64{3, 3, 2, 2}
	}
	if len(mix) != int(numKinds) {
		return nil, fmt.Errorf("world: Corpus: Mix needs %d weights, got %d", numKinds, len(mix))
	}
	total := 0.0
	for _, m := range mix {
		if m < 0 {
			return nil, errors.New("world: Corpus: negative Mix weight")
		}
		total += m
	}
	if total == 0 {
		return nil, errors.New("world: Corpus: Mix weights are all zero")
	}
	if cfg.AnswerTopics != nil && len(cfg.AnswerTopics) == 0 {
		return nil, errors.New("world: Corpus: AnswerTopics is empty (nil means the training topics)")
	}
	clean, concise := cfg.CleanSummaryRate, cfg.ConciseSummaryRate
	if clean == 0 {
		clean = 0.3
	}
	if concise == 0 {
		concise = 0.25
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xc0de))
	out := make([]Example, 0, cfg.N)
	for len(out) < cfg.N {
		r, kind := rng.Float64()*total, Kind(0)
		for kind < numKinds-1 && r >= mix[kind] {
			r -= mix[kind]
			kind++
		}
		u := w.Train[rng.IntN(len(w.Train))]
		ex := Example{Kind: kind, Persona: u.Persona, Stated: Persona{Unknown, Unknown, Unknown}}
		var signals []Pair
		for _, i := range rng.Perm(len(u.Pairs))[:shots] {
			signals = append(signals, u.Pairs[i])
		}
		switch kind {
		case KindSummarize:
			ex.Signals = signals[:minShots+rng.IntN(shots-minShots+1)]
			signals = ex.Signals
			if rng.Float64() < concise {
				ex.Summary, ex.Stated = ConciseSummary(rng, u.Persona), u.Persona
			} else {
				ex.Summary, ex.Stated = InstructSummary(rng, u.Persona, signals)
			}
		case KindAnswerWithSummary:
			if rng.Float64() < clean {
				ex.Summary, ex.Stated = ConciseSummary(rng, u.Persona), u.Persona
			} else {
				ex.Summary, ex.Stated = InstructSummary(rng, u.Persona, signals)
			}
			ex.Style = RandomPersona(rng)
			for a := Attr(0); a < NumAttrs; a++ {
				if ex.Stated[a] >= 0 {
					ex.Style[a] = ex.Stated[a]
				}
			}
		case KindAnswerWithPairs:
			ex.Signals = signals
			ex.Style = u.Persona
		case KindAnswerBase:
			ex.Style = RandomPersona(rng)
		}
		if kind != KindSummarize {
			tops := w.TrainTopics
			if cfg.AnswerTopics != nil {
				tops = cfg.AnswerTopics
			}
			var topic string
			ex.Prompt, topic = RandomPrompt(rng, tops)
			ex.Response = Respond(rng, topic, ex.Style)
		}
		out = append(out, ex)
	}
	return out, nil
}

// Texts draws n plain responses of random styles about training topics, each preceded by
// its prompt on its own line: raw text for language-model pretraining.
func (w *World) Texts(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0x7e47))
	out := make([]string, n)
	for i := range out {
		prompt, topic := RandomPrompt(rng, w.TrainTopics)
		out[i] = prompt + "\n" + Respond(rng, topic, RandomPersona(rng))
	}
	return out
}
