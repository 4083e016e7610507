package data

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// SamplerConfig configures per-step episode sampling, the paper's training protocol
// (section 5.1, Algorithm 1): every training sample is one preference example of a user;
// each time a step uses it, that user gets a fresh signal set drawn from its own pool.
type SamplerConfig struct {
	// Shots is the number of signal pairs (0: the family default, 4 for ELIX/Review and
	// 8 for Roleplay).
	Shots int
	// Targets is the number of target pairs of a drawn episode (>= 1): the sample's own
	// pair plus Targets-1 further pairs drawn fresh from the user's pool.
	Targets int
	// Samples is the number of training samples drawn (seeded, without replacement) from
	// all pairs of the eligible users ("we train on 20k samples per dataset"); 0 takes
	// every pair.
	Samples int
	Seed    uint64
}

// Anchor is one training sample: a user (index into Sampler.Users) and one of its pairs.
type Anchor struct{ User, Pair int }

// Sampler draws fresh, seeded episodes for training samples. Within an episode signals and
// targets never share a pair, and no signal pair has the prompt of a target.
type Sampler struct {
	Family  Family
	Users   []*User  // eligible users
	Anchors []Anchor // the training samples, sorted by user and pair
	// Skipped are users with too few distinct prompts for an episode.
	Skipped []string
	// Available is the number of pairs the samples were drawn from.
	Available int

	shots, targets int
	seed           uint64
}

// NewSampler selects the eligible users of d (at least Shots+Targets distinct prompts, so
// every draw succeeds) and the training samples among their pairs.
func NewSampler(d *Dataset, cfg SamplerConfig) (*Sampler, error) {
	shots, err := d.Family.shots(cfg.Shots)
	if err != nil {
		return nil, err
	}
	if cfg.Targets < 1 || cfg.Samples < 0 {
		return nil, fmt.Errorf("popi: sampler needs Targets >= 1 and Samples >= 0 (got %d, %d)", cfg.Targets, cfg.Samples)
	}
	s := &Sampler{Family: d.Family, shots: shots, targets: cfg.Targets, seed: cfg.Seed}
	for _, u := range d.Users {
		prompts := map[string]bool{}
		for _, p := range u.Pairs {
			prompts[p.Prompt] = true
		}
		if len(prompts) < shots+cfg.Targets {
			s.Skipped = append(s.Skipped, u.ID)
			continue
		}
		ui := len(s.Users)
		s.Users = append(s.Users, u)
		for j := range u.Pairs {
			s.Anchors = append(s.Anchors, Anchor{ui, j})
		}
	}
	if len(s.Users) == 0 {
		return nil, fmt.Errorf("popi: no user has the %d distinct prompts an episode needs (%d signals + %d target(s)); %d users",
			shots+cfg.Targets, shots, cfg.Targets, len(d.Users))
	}
	s.Available = len(s.Anchors)
	if cfg.Samples > 0 && cfg.Samples < len(s.Anchors) {
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x5a3b1e5))
		for i := 0; i < cfg.Samples; i++ { // partial Fisher-Yates
			j := i + rng.IntN(len(s.Anchors)-i)
			s.Anchors[i], s.Anchors[j] = s.Anchors[j], s.Anchors[i]
		}
		s.Anchors = s.Anchors[:cfg.Samples]
		sort.Slice(s.Anchors, func(i, j int) bool {
			a, b := s.Anchors[i], s.Anchors[j]
			return a.User < b.User || (a.User == b.User && a.Pair < b.Pair)
		})
	}
	return s, nil
}

// Shots is the number of signal pairs of every drawn episode.
func (s *Sampler) Shots() int { return s.shots }

// Episode draws training sample i's episode for draw key (for example the training step):
// the sample's pair and Targets-1 further pairs of its user as targets, and Shots signal
// pairs of that user whose prompts no target has. The same (seed, key, i) always gives the
// same episode.
func (s *Sampler) Episode(i int, key uint64) Episode {
	a := s.Anchors[i]
	return s.draw(a, key, s.targets)
}

// SingleTargetEpisode is Episode with the sample's own pair as the only target (Stage 2's
// "sample an example, sample a summary": Algorithm 1, lines 14-15).
func (s *Sampler) SingleTargetEpisode(i int, key uint64) Episode {
	return s.draw(s.Anchors[i], key, 1)
}

func (s *Sampler) draw(a Anchor, key uint64, targets int) Episode {
	u := s.Users[a.User]
	rng := rand.New(rand.NewPCG(s.seed^0x9e3779b97f4a7c15, splitmix(key)^uint64(a.User)<<32^uint64(a.Pair)))
	perm := rng.Perm(len(u.Pairs))
	ep := Episode{UserID: u.ID, Persona: u.Persona, Targets: []PrefPair{u.Pairs[a.Pair]}}
	used := map[int]bool{a.Pair: true}
	tprompts := map[string]bool{u.Pairs[a.Pair].Prompt: true}
	for _, j := range perm {
		if len(ep.Targets) == targets {
			break
		}
		if !used[j] {
			used[j] = true
			ep.Targets = append(ep.Targets, u.Pairs[j])
			tprompts[u.Pairs[j].Prompt] = true
		}
	}
	for _, j := range perm {
		if len(ep.Signals) == s.shots {
			break
		}
		if !used[j] && !tprompts[u.Pairs[j].Prompt] {
			used[j] = true
			ep.Signals = append(ep.Signals, u.Pairs[j])
		}
	}
	return ep
}

// splitmix is the SplitMix64 finaliser, spreading consecutive keys over the seed space.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
