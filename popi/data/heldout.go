package data

import (
	"fmt"
	"math/rand/v2"
)

// HeldOutKind is how a held-out dataset relates to the training users.
type HeldOutKind int

const (
	// HeldOutUsers: users never seen in training (their own pairs give their signals).
	HeldOutUsers HeldOutKind = iota
	// HeldOutTestSplit: the dataset's official test split, the training personas on unseen
	// prompts; signals come from the user's training pool, targets from the test file.
	HeldOutTestSplit
)

func (k HeldOutKind) String() string {
	if k == HeldOutTestSplit {
		return "test split (seen personas, unseen prompts)"
	}
	return "held-out users"
}

// ClassifyHeldOut decides the protocol from the users: disjoint from training is
// HeldOutUsers, all of them training users is HeldOutTestSplit; a mix is an error naming
// one user of each kind.
func ClassifyHeldOut(train, held *Dataset) (HeldOutKind, error) {
	var seen, unseen []string
	for _, u := range held.Users {
		if train.User(u.ID) != nil {
			seen = append(seen, u.ID)
		} else {
			unseen = append(unseen, u.ID)
		}
	}
	switch {
	case len(seen) == 0:
		return HeldOutUsers, nil
	case len(unseen) == 0:
		return HeldOutTestSplit, nil
	}
	return 0, fmt.Errorf("popi: held-out data mixes training users (e.g. %q) with new users (e.g. %q): give either the official test split (training personas, unseen prompts) or held-out users", seen[0], unseen[0])
}

// Prompts is the set of prompts of every pair of d.
func (d *Dataset) Prompts() map[string]bool {
	out := map[string]bool{}
	for _, u := range d.Users {
		for _, p := range u.Pairs {
			out[p.Prompt] = true
		}
	}
	return out
}

// WithoutPrompts returns d without the pairs whose prompt is in drop (users left with no
// pair are removed) and the number of pairs removed; d is not changed.
func (d *Dataset) WithoutPrompts(drop map[string]bool) (*Dataset, int) {
	out := &Dataset{Family: d.Family, Notes: d.Notes}
	removed := 0
	for _, u := range d.Users {
		nu := &User{ID: u.ID, Persona: u.Persona, Traits: u.Traits}
		for i, p := range u.Pairs {
			if drop[p.Prompt] {
				removed++
				continue
			}
			nu.Pairs = append(nu.Pairs, p)
			nu.Sources = append(nu.Sources, u.Sources[i])
		}
		if len(nu.Pairs) > 0 {
			out.Users = append(out.Users, nu)
		}
	}
	return out, removed
}

// TestSplitEpisodes builds the held-out episodes of the official test split: each test
// user's pairs cut into episodes of cfg.NumTargets targets (0: one episode with all), each
// with a fresh seeded signal set of cfg.NumShots pairs from that user's training pool,
// none sharing a prompt with the episode's targets. Episodes are ordered round-robin over
// users, so keeping the first n keeps the personas balanced. Test users whose training pool
// has too few pairs are skipped and returned.
func TestSplitEpisodes(train, test *Dataset, cfg EpisodeConfig) (eps []Episode, skipped []string, err error) {
	shots, err := test.Family.shots(cfg.NumShots)
	if err != nil {
		return nil, nil, err
	}
	if cfg.NumTargets < 0 {
		return nil, nil, fmt.Errorf("popi: negative number of targets %d", cfg.NumTargets)
	}
	var perUser [][]Episode
	for _, tu := range test.Users {
		pool := train.User(tu.ID)
		if pool == nil {
			return nil, nil, fmt.Errorf("popi: test user %q has no training pairs to draw signals from", tu.ID)
		}
		n := cfg.NumTargets
		if n == 0 {
			n = len(tu.Pairs)
		}
		var mine []Episode
		for c := 0; c*n < len(tu.Pairs); c++ {
			targets := tu.Pairs[c*n : min((c+1)*n, len(tu.Pairs))]
			sig, ok := drawSignals(pool.Pairs, targets, shots, rand.New(rand.NewPCG(cfg.Seed, seedHash(cfg.Seed, fmt.Sprintf("%s\x00%d", tu.ID, c)))))
			if !ok {
				mine = nil
				skipped = append(skipped, tu.ID)
				break
			}
			mine = append(mine, Episode{UserID: tu.ID, Persona: tu.Persona, Signals: sig, Targets: append([]PrefPair(nil), targets...)})
		}
		if len(mine) > 0 {
			perUser = append(perUser, mine)
		}
	}
	for k := 0; ; k++ {
		added := false
		for _, mine := range perUser {
			if k < len(mine) {
				eps = append(eps, mine[k])
				added = true
			}
		}
		if !added {
			break
		}
	}
	if len(eps) == 0 {
		return nil, skipped, fmt.Errorf("popi: no test user has %d training pairs to draw signals from", shots)
	}
	return eps, skipped, nil
}

// drawSignals draws n pairs of pool in seeded order whose prompts none of targets has.
func drawSignals(pool, targets []PrefPair, n int, rng *rand.Rand) ([]PrefPair, bool) {
	tp := map[string]bool{}
	for _, t := range targets {
		tp[t.Prompt] = true
	}
	var out []PrefPair
	for _, j := range rng.Perm(len(pool)) {
		if len(out) == n {
			break
		}
		if !tp[pool[j].Prompt] {
			out = append(out, pool[j])
		}
	}
	return out, len(out) == n
}

// PersonaKeys lists the distinct personas of episodes in first-appearance order.
func PersonaKeys(eps []Episode) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range eps {
		if !seen[e.Persona] {
			seen[e.Persona] = true
			out = append(out, e.Persona)
		}
	}
	return out
}
