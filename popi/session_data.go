package popi

import (
	"fmt"

	"github.com/popi-go/popi/popi/data"
)

// runEpisodes is what the data phase gives the rest of a run.
type runEpisodes struct {
	// Train are the fixed training episodes (Episodes "fixed"); Sampler draws them per step
	// instead (Episodes "per-step"). Exactly one is set.
	Train   []data.Episode
	Sampler trainSampler
	Held    []data.Episode
	// HeldOut names the held-out protocol, for the log.
	HeldOut string
	// World is true on the persona world: every user has a true persona, so the exact
	// judge, the oracle objective and the summary scores apply.
	World bool
	// Notes are counted warnings of the data phase (rows dropped, users skipped), logged
	// once the run directory exists.
	Notes []string
	// heldRecs are AlignX's held-out records, kept to evaluate other splits.
	heldRecs []data.AlignXRecord
}

// trainSampler draws per-step training episodes: Episode for Stage 1 (the sample's target
// plus fresh ones, Stage1.RewardPairs in all), Stage2Episode with the sample's pair as the
// only target. The same (i, key) always gives the same episode.
type trainSampler interface {
	Len() int
	Episode(i int, key uint64) (data.Episode, error)
	Stage2Episode(i int, key uint64) (data.Episode, error)
}

type fspoSampler struct{ s *data.Sampler }

func (f fspoSampler) Len() int { return len(f.s.Anchors) }
func (f fspoSampler) Episode(i int, key uint64) (data.Episode, error) {
	return f.s.Episode(i, key), nil
}
func (f fspoSampler) Stage2Episode(i int, key uint64) (data.Episode, error) {
	return f.s.SingleTargetEpisode(i, key), nil
}

type alignXSampler struct{ s *data.AlignXSampler }

func (a alignXSampler) Len() int { return len(a.s.Anchors) }
func (a alignXSampler) Episode(i int, key uint64) (data.Episode, error) {
	ep, _, err := a.s.Episode(i, key)
	return ep, err
}
func (a alignXSampler) Stage2Episode(i int, key uint64) (data.Episode, error) {
	return a.Episode(i, key)
}

// fileEpisodes reads the plan's data files and draws the run's episodes; it writes nothing.
func fileEpisodes(p *Plan) (*runEpisodes, error) {
	c := &p.Config
	if p.Family == data.FamilyAlignX {
		return alignXFileEpisodes(p)
	}
	all, err := data.LoadFSPO(p.Family, c.DataFiles...)
	if err != nil {
		return nil, err
	}
	notes := all.Notes
	var train, held *data.Dataset
	kind := data.HeldOutUsers
	if len(c.HeldOutFiles) > 0 {
		train = all
		if held, err = data.LoadFSPO(p.Family, c.HeldOutFiles...); err != nil {
			return nil, err
		}
		notes = append(notes, held.Notes...)
		if kind, err = data.ClassifyHeldOut(train, held); err != nil {
			return nil, err
		}
	} else if train, held, err = data.SplitUsers(all, c.HeldOutFrac, c.Seed); err != nil {
		return nil, err
	}
	if kind == data.HeldOutTestSplit {
		// The official test split's prompts must never reach training.
		var removed int
		train, removed = train.WithoutPrompts(held.Prompts())
		if removed > 0 {
			notes = append(notes, fmt.Sprintf("%d training pairs removed: their prompts are in the test split", removed))
		}
	} else if err := data.CheckDisjointUsers(train, held); err != nil {
		return nil, err
	}
	e, err := fspoEpisodes(p, train, held, kind)
	if err != nil {
		return nil, err
	}
	e.Notes = append(notes, e.Notes...)
	return e, nil
}

// fspoEpisodes draws the training episodes (fixed or a per-step sampler) and the held-out
// episodes under the held-out protocol kind.
func fspoEpisodes(p *Plan, train, held *data.Dataset, kind data.HeldOutKind) (*runEpisodes, error) {
	c := &p.Config
	e := &runEpisodes{HeldOut: kind.String()}
	note := func(n string) {
		if n != "" {
			e.Notes = append(e.Notes, n)
		}
	}
	if p.PerStep {
		s, err := data.NewSampler(train, data.SamplerConfig{Shots: c.Shots, Targets: c.Stage1.RewardPairs, Samples: c.TrainSamples, Seed: c.Seed})
		if err != nil {
			return nil, err
		}
		note(data.SkippedNote("training users", s.Skipped, "fewer distinct prompts than signals + targets"))
		if c.TrainSamples > s.Available {
			note(fmt.Sprintf("asked for %d training samples, the data has %d: all used", c.TrainSamples, s.Available))
		}
		e.Sampler = fspoSampler{s}
	} else {
		eps, skipped, err := train.Episodes(data.EpisodeConfig{NumShots: c.Shots, NumTargets: c.TrainTargets, Seed: c.Seed})
		if err != nil {
			return nil, err
		}
		note(data.SkippedNote("training users", skipped, "too few pairs"))
		e.Train = eps
	}
	var skipped []string
	var err error
	cfg := data.EpisodeConfig{NumShots: c.Shots, NumTargets: c.EvalTargets, Seed: c.Seed + 1}
	if kind == data.HeldOutTestSplit {
		e.Held, skipped, err = data.TestSplitEpisodes(train, held, cfg)
	} else {
		e.Held, skipped, err = held.Episodes(cfg)
	}
	if err != nil {
		return nil, err
	}
	note(data.SkippedNote("held-out users", skipped, "too few pairs"))
	capHeld(p, e)
	return e, nil
}

// alignXFileEpisodes reads AlignX training and test records: training samples drawn by the
// AlignX authors' protocol, held-out episodes showing only the plan's split.
func alignXFileEpisodes(p *Plan) (*runEpisodes, error) {
	c := &p.Config
	recs, err := data.LoadAlignX(c.DataFiles...)
	if err != nil {
		return nil, err
	}
	e := &runEpisodes{}
	var tr, ho []data.AlignXRecord
	if len(c.HeldOutFiles) > 0 {
		if ho, err = data.LoadAlignX(c.HeldOutFiles...); err != nil {
			return nil, err
		}
		test := map[string]bool{}
		for i := range ho {
			test[ho[i].Target.Prompt] = true
		}
		for i := range recs {
			if !test[recs[i].Target.Prompt] {
				tr = append(tr, recs[i])
			}
		}
		if n := len(recs) - len(tr); n > 0 {
			e.Notes = append(e.Notes, fmt.Sprintf("%d training records removed: their target prompts are in the test files", n))
		}
		e.HeldOut = "test files, split " + p.Split.String()
	} else {
		if tr, ho, err = data.SplitAlignXUsers(recs, c.HeldOutFrac, c.Seed); err != nil {
			return nil, err
		}
		e.HeldOut = "held-out users, split " + p.Split.String()
	}
	s, err := data.NewAlignXSampler(tr, p.Mode, c.TrainSamples, c.Seed)
	if err != nil {
		return nil, err
	}
	if s.Skipped > 0 {
		e.Notes = append(e.Notes, fmt.Sprintf("%d AlignX training records skipped: no user-generated content or pair-wise feedback to train on", s.Skipped))
	}
	if c.TrainSamples > s.Available {
		e.Notes = append(e.Notes, fmt.Sprintf("asked for %d training samples, the data has %d: all used", c.TrainSamples, s.Available))
	}
	if p.PerStep {
		e.Sampler = alignXSampler{s}
	} else {
		for i := range s.Anchors {
			ep, _, err := s.Episode(i, 0)
			if err != nil {
				return nil, err
			}
			e.Train = append(e.Train, ep)
		}
	}
	e.heldRecs = ho
	held, notes, err := alignXHeld(p, ho, p.Split, false)
	if err != nil {
		return nil, err
	}
	e.Held = held
	e.Notes = append(e.Notes, notes...)
	capHeld(p, e)
	return e, nil
}

// alignXHeld turns held-out records into episodes showing only split's source; with
// skipMissing records without it are skipped and counted (evaluating one set of records on
// every split), otherwise they are an error.
func alignXHeld(p *Plan, ho []data.AlignXRecord, split data.AlignXSplit, skipMissing bool) ([]data.Episode, []string, error) {
	held, st, err := data.AlignXEpisodes(ho, p.Mode, split, skipMissing)
	if err != nil {
		return nil, nil, err
	}
	return held, st.Notes("held-out, split " + split.String()), nil
}

// capHeld keeps at most EvalUsers held-out episodes.
func capHeld(p *Plan, e *runEpisodes) {
	if n := p.Config.EvalUsers; n > 0 && n < len(e.Held) {
		e.Held = e.Held[:n]
	}
}
