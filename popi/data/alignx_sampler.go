package data

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// AlignXSampler draws AlignX training episodes: the training samples are records (the
// paper trains on 92k of them, the AlignX authors' 7% subset), and each use of a record
// draws a fresh signal set by the authors' protocol (AlignXRecord.TrainingSignals).
type AlignXSampler struct {
	Recs    []AlignXRecord // records with UGC or pairs
	Anchors []int          // the training samples: indices into Recs, sorted
	// Skipped counts records with neither UGC nor pairs; Available the records sampled from.
	Skipped, Available int

	mode SignalMode
	seed uint64
}

// NewAlignXSampler keeps the records that can be trained on and draws samples of them
// (seeded, without replacement; 0 keeps all). In the direction setting every kept record
// must carry a direction on each signal item or at top level, or the load fails naming it.
func NewAlignXSampler(recs []AlignXRecord, mode SignalMode, samples int, seed uint64) (*AlignXSampler, error) {
	if samples < 0 {
		return nil, fmt.Errorf("popi: negative number of AlignX training samples %d", samples)
	}
	s := &AlignXSampler{mode: mode, seed: seed}
	for i := range recs {
		r := &recs[i]
		if len(r.UGC) == 0 && len(r.Pairs) == 0 {
			s.Skipped++
			continue
		}
		if mode == SignalsDirection && r.Direction == nil {
			for k, u := range r.UGC {
				if u.Direction == nil {
					return nil, fieldErr(r.Source, fmt.Sprintf("%s[%d].%s", ColAlignXUGC, k, ColAlignXDirection),
						fmt.Errorf("%w: the direction setting needs it (or the record's %q)", errMissing, ColAlignXDirection))
				}
			}
			for k, d := range r.PairDirections {
				if d == nil {
					return nil, fieldErr(r.Source, fmt.Sprintf("%s[%d].%s", ColAlignXPairs, k, ColAlignXDirection),
						fmt.Errorf("%w: the direction setting needs it (or the record's %q)", errMissing, ColAlignXDirection))
				}
			}
		}
		s.Recs = append(s.Recs, *r)
	}
	if len(s.Recs) == 0 {
		return nil, fmt.Errorf("popi: no AlignX training record has user-generated content or pair-wise feedback (%d records)", len(recs))
	}
	s.Available = len(s.Recs)
	idx := make([]int, len(s.Recs))
	for i := range idx {
		idx[i] = i
	}
	if samples > 0 && samples < len(idx) {
		rng := rand.New(rand.NewPCG(seed, 0xa119e5))
		for i := 0; i < samples; i++ {
			j := i + rng.IntN(len(idx)-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		idx = idx[:samples]
		sort.Ints(idx)
	}
	s.Anchors = idx
	return s, nil
}

// Episode draws sample i's episode for draw key: the record's target pair and a fresh
// signal set by the authors' protocol, rendered for the signal mode. fromTarget reports a
// direction taken from the record's top-level direction.
func (s *AlignXSampler) Episode(i int, key uint64) (ep Episode, fromTarget bool, err error) {
	r := &s.Recs[s.Anchors[i]]
	rng := rand.New(rand.NewPCG(s.seed^0xa119e5a3b1, splitmix(key)^uint64(s.Anchors[i])))
	sig, _ := r.TrainingSignals(rng) // every kept record has UGC or pairs
	text, ft, err := r.SignalText(sig, s.mode)
	if err != nil {
		return Episode{}, false, err
	}
	return Episode{UserID: r.UserKey(), SignalText: text, Targets: []PrefPair{r.Target}}, ft, nil
}
