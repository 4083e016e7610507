package data

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Episode is one unit of POPI training or evaluation for one user: the user signals
// (preference pairs the inference model sees) and target pairs (scored by the objective
// or the metrics). Signals and Targets never share a pair. Persona is the ground-truth
// persona text, to be shown to a judge only, never to the models.
type Episode struct {
	UserID  string
	Persona string
	Signals []PrefPair
	// SignalText holds already-rendered signals for families whose signals are not
	// preference pairs (AlignX); empty for FSPO-style episodes.
	SignalText string
	Targets    []PrefPair
}

// EpisodeConfig controls episode sampling.
type EpisodeConfig struct {
	// NumShots is the number of signal pairs; 0 selects the family default
	// (4 for ELIX and Review, 8 for Roleplay).
	NumShots int
	// NumTargets is the number of target pairs; 0 takes every pair not used as a signal.
	NumTargets int
	// PerUser is the number of episodes drawn per user; 0 means 1.
	PerUser int
	// Seed makes the sampling deterministic: the same seed, users and pairs give the same episodes.
	Seed uint64
}

// Episodes draws cfg.PerUser episodes for every user of d, in user order. Each episode
// is a fresh seeded permutation of the user's pairs: the first NumShots become signals,
// the next NumTargets targets. A user with too few pairs is an error naming the user.
func (d *Dataset) Episodes(cfg EpisodeConfig) ([]Episode, error) {
	shots := cfg.NumShots
	if shots == 0 {
		shots = d.Family.DefaultShots()
	}
	if shots <= 0 {
		return nil, fmt.Errorf("popi: Episodes: number of shots must be positive, got %d", shots)
	}
	if cfg.NumTargets < 0 || cfg.PerUser < 0 {
		return nil, errors.New("popi: Episodes: NumTargets and PerUser must not be negative")
	}
	per := max(cfg.PerUser, 1)
	need := shots + max(cfg.NumTargets, 1)
	var out []Episode
	for _, u := range d.Users {
		if len(u.Pairs) < need {
			return nil, fmt.Errorf("popi: user %q has %d preference pairs; an episode needs %d signals + %d target(s)",
				u.ID, len(u.Pairs), shots, max(cfg.NumTargets, 1))
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, seedHash(cfg.Seed, u.ID)))
		for e := 0; e < per; e++ {
			perm := rng.Perm(len(u.Pairs))
			nt := cfg.NumTargets
			if nt == 0 {
				nt = len(u.Pairs) - shots
			}
			ep := Episode{UserID: u.ID, Persona: u.Persona}
			for _, i := range perm[:shots] {
				ep.Signals = append(ep.Signals, u.Pairs[i])
			}
			for _, i := range perm[shots : shots+nt] {
				ep.Targets = append(ep.Targets, u.Pairs[i])
			}
			out = append(out, ep)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("popi: Episodes: dataset has no users")
	}
	return out, nil
}
