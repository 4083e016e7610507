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

// EpisodeConfig controls fixed episode sampling (Dataset.Episodes).
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

// shots resolves a configured number of signal pairs (0: the family default).
func (f Family) shots(n int) (int, error) {
	if n == 0 {
		n = f.DefaultShots()
	}
	if n <= 0 {
		return 0, fmt.Errorf("popi: number of signal pairs must be positive, got %d", n)
	}
	return n, nil
}

// Episodes draws cfg.PerUser episodes for every user of d, in user order. Each episode
// is a fresh seeded permutation of the user's pairs: the first NumShots become signals,
// the next NumTargets targets. Users with too few pairs are skipped and returned in
// skipped; an error only when no user is left.
func (d *Dataset) Episodes(cfg EpisodeConfig) (eps []Episode, skipped []string, err error) {
	shots, err := d.Family.shots(cfg.NumShots)
	if err != nil {
		return nil, nil, err
	}
	if cfg.NumTargets < 0 || cfg.PerUser < 0 {
		return nil, nil, errors.New("popi: Episodes: NumTargets and PerUser must not be negative")
	}
	per := max(cfg.PerUser, 1)
	need := shots + max(cfg.NumTargets, 1)
	for _, u := range d.Users {
		if len(u.Pairs) < need {
			skipped = append(skipped, u.ID)
			continue
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
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		return nil, skipped, fmt.Errorf("popi: Episodes: no user has the %d preference pairs an episode needs (%d signals + %d target(s)); %d users",
			need, shots, max(cfg.NumTargets, 1), len(d.Users))
	}
	return eps, skipped, nil
}

// SkippedNote is the counted warning for users skipped by an episode draw ("" for none).
func SkippedNote(what string, skipped []string, reason string) string {
	if len(skipped) == 0 {
		return ""
	}
	ex := skipped[0]
	if len(skipped) > 1 {
		ex += ", ..."
	}
	return fmt.Sprintf("%d %s skipped (%s): %s", len(skipped), what, reason, ex)
}
