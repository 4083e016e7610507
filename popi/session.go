package popi

import (
	"errors"
	"io"
	"os"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/openai"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
)

// session is the setup RunPipeline and EvaluateRun share: the plan, the open run
// directory, the episodes, and the base model with its chat encoder.
type session struct {
	plan *Plan
	run  *Run
	eps  *runEpisodes
	base *llama.Model
	tok  *llama.Tokenizer
	enc  *prompt.ChatEncoder
}

// runEpisodes is what the data phase gives the rest of a run.
type runEpisodes struct {
	Train, Held []data.Episode
	// World is true on the persona world: every user has a true persona, so the exact
	// judge, the oracle objective and the summary scores apply.
	World bool
}

// openPlan resolves a configuration and checks its base model directory, the checks made
// before a run directory is touched.
func openPlan(c PipelineConfig) (*Plan, error) {
	p, err := NewPlan(c)
	if err != nil {
		return nil, err
	}
	if err := checkModelDir(p.Config.ModelDir); err != nil {
		return nil, err
	}
	return p, nil
}

// openSession starts a run in out (its config.json written from the plan) or, with
// resume, reopens the run there with the plan of its config.json; cfg is then ignored.
// A configuration error leaves no run directory behind.
func openSession(cfg PipelineConfig, out string, resume bool, log io.Writer) (*session, error) {
	var plan *Plan
	if !resume {
		var err error
		if plan, err = openPlan(cfg); err != nil {
			return nil, err
		}
	}
	run, err := OpenRun(out, resume, log)
	if err != nil {
		return nil, err
	}
	if resume {
		var c PipelineConfig
		err := ReadJSON(run.Path("config.json"), &c)
		if err == nil {
			plan, err = openPlan(c)
		}
		if err != nil {
			run.Close()
			return nil, err
		}
	} else if err := atomicfile.WriteJSON(run.Path("config.json"), plan.Config, fileMode); err != nil {
		run.Close()
		return nil, err
	}
	return &session{plan: plan, run: run}, nil
}

// loadEpisodes is the data phase: it loads (or, on the persona world, generates into
// data/) the training and held-out users and draws their episodes; at most EvalUsers
// held-out episodes are kept.
func (s *session) loadEpisodes() error {
	c := &s.plan.Config
	var e *runEpisodes
	var err error
	if s.plan.Family == data.FamilyAlignX {
		e, err = s.alignXEpisodes()
	} else {
		e, err = s.fspoEpisodes()
	}
	if err != nil {
		return err
	}
	if c.EvalUsers > 0 && c.EvalUsers < len(e.Held) {
		e.Held = e.Held[:c.EvalUsers]
	}
	s.eps = e
	return nil
}

func (s *session) alignXEpisodes() (*runEpisodes, error) {
	c := &s.plan.Config
	recs, err := data.LoadAlignX(c.DataFiles...)
	if err != nil {
		return nil, err
	}
	var tr, ho []data.AlignXRecord
	if len(c.HeldOutFiles) > 0 {
		tr = recs
		if ho, err = data.LoadAlignX(c.HeldOutFiles...); err != nil {
			return nil, err
		}
	} else if tr, ho, err = data.SplitAlignXUsers(recs, c.HeldOutFrac, c.Seed); err != nil {
		return nil, err
	}
	e := &runEpisodes{}
	if e.Train, err = data.AlignXEpisodes(tr, s.plan.Mode, data.SplitArbitrary, nil); err != nil {
		return nil, err
	}
	if e.Held, err = data.AlignXEpisodes(ho, s.plan.Mode, s.plan.Split, nil); err != nil {
		return nil, err
	}
	return e, nil
}

func (s *session) fspoEpisodes() (*runEpisodes, error) {
	c := &s.plan.Config
	train, held, isWorld, err := s.fspoUsers()
	if err != nil {
		return nil, err
	}
	e := &runEpisodes{World: isWorld}
	if e.Train, err = train.Episodes(data.EpisodeConfig{NumShots: c.Shots, NumTargets: c.TrainTargets, Seed: c.Seed}); err != nil {
		return nil, err
	}
	if e.Held, err = held.Episodes(data.EpisodeConfig{NumShots: c.Shots, NumTargets: c.EvalTargets, Seed: c.Seed + 1}); err != nil {
		return nil, err
	}
	return e, nil
}

// fspoUsers loads the FSPO-style training and held-out users, or generates the persona
// world's into the run's data/ directory (isWorld).
func (s *session) fspoUsers() (train, held *data.Dataset, isWorld bool, err error) {
	c := &s.plan.Config
	fam := s.plan.Family
	if len(c.DataFiles) == 0 {
		w, err := world.New(world.Config{Seed: c.WorldSeed, TrainUsers: c.WorldTrainUsers, HeldOutUsers: c.WorldHeldOutUsers, PairsPerUser: c.WorldPairs})
		if err != nil {
			return nil, nil, false, err
		}
		tp, hp := s.run.Path("data", "train.jsonl"), s.run.Path("data", "heldout.jsonl")
		if err := os.MkdirAll(s.run.Path("data"), 0o755); err != nil {
			return nil, nil, false, err
		}
		if err := w.WriteFSPO(tp, false); err != nil {
			return nil, nil, false, err
		}
		if err := w.WriteFSPO(hp, true); err != nil {
			return nil, nil, false, err
		}
		if train, err = data.LoadFSPO(fam, tp); err != nil {
			return nil, nil, false, err
		}
		if held, err = data.LoadFSPO(fam, hp); err != nil {
			return nil, nil, false, err
		}
		isWorld = true
	} else {
		all, err := data.LoadFSPO(fam, c.DataFiles...)
		if err != nil {
			return nil, nil, false, err
		}
		if len(c.HeldOutFiles) > 0 {
			train = all
			if held, err = data.LoadFSPO(fam, c.HeldOutFiles...); err != nil {
				return nil, nil, false, err
			}
		} else if train, held, err = data.SplitUsers(all, c.HeldOutFrac, c.Seed); err != nil {
			return nil, nil, false, err
		}
	}
	if err := data.CheckDisjointUsers(train, held); err != nil {
		return nil, nil, false, err
	}
	return train, held, isWorld, nil
}

// loadBase loads the base model (its directory was checked by openPlan) and its encoder.
func (s *session) loadBase() error {
	c := &s.plan.Config
	base, tok, err := loadModelDir(c.ModelDir, c.WeightType)
	if err != nil {
		return err
	}
	enc, err := prompt.NewChatEncoder(tok, base.Config, c.Plain)
	if err != nil {
		return err
	}
	s.base, s.tok, s.enc = base, tok, enc
	return nil
}

// judge is the exact judge on the persona world, the LLM judge when configured, and none
// on AlignX (which has no ground-truth persona: no win rate, as in the paper).
func (s *session) judge() (Judge, error) {
	c := &s.plan.Config
	alignX := s.plan.Family == data.FamilyAlignX
	switch {
	case c.JudgeURL != "" && !alignX:
		cl, err := openai.NewClient(openai.Config{BaseURL: c.JudgeURL, Model: c.JudgeModel, APIKeyEnv: c.JudgeKeyEnv, CacheDir: s.run.Path("cache", "judge")})
		if err != nil {
			return nil, err
		}
		return &LLMJudge{Model: cl}, nil
	case alignX:
		return nil, nil
	case s.eps.World:
		return ExactJudge{}, nil
	}
	return nil, errors.New("popi: real datasets need an LLM judge (-judge-url); the exact judge only knows the persona world")
}

// evaluation is the held-out evaluation of the run's episodes with the given summaries.
func (s *session) evaluation(before, after *Summaries, judge Judge, log io.Writer) *Evaluation {
	c := &s.plan.Config
	return &Evaluation{Enc: s.enc, P: s.plan.Prompting(), Base: s.base, Judge: judge, Config: c.Eval, Episodes: s.eps.Held,
		Before: before, After: after, Dataset: s.plan.Family.String(), Seed: c.Seed, Log: log}
}
