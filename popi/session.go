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
// A configuration error or bad data leaves no run directory behind: data files are read
// and their episodes drawn before the directory is created.
func openSession(cfg PipelineConfig, out string, resume bool, log io.Writer) (*session, error) {
	var plan *Plan
	var eps *runEpisodes
	if !resume {
		var err error
		if plan, err = openPlan(cfg); err != nil {
			return nil, err
		}
		if len(plan.Config.DataFiles) > 0 {
			if eps, err = fileEpisodes(plan); err != nil {
				return nil, err
			}
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
	return &session{plan: plan, run: run, eps: eps}, nil
}

// loadEpisodes is the data phase when openSession has not done it: the persona world's
// users are generated into the run's data/ directory, data files are read (on resume and
// re-evaluation). At most EvalUsers held-out episodes are kept.
func (s *session) loadEpisodes() error {
	if s.eps != nil {
		return nil
	}
	var err error
	if len(s.plan.Config.DataFiles) > 0 {
		s.eps, err = fileEpisodes(s.plan)
	} else {
		s.eps, err = s.worldEpisodes()
	}
	return err
}

// worldEpisodes generates the persona world's training and held-out users into the run's
// data/ directory and draws their episodes.
func (s *session) worldEpisodes() (*runEpisodes, error) {
	c := &s.plan.Config
	w, err := world.New(world.Config{Seed: c.WorldSeed, TrainUsers: c.WorldTrainUsers, HeldOutUsers: c.WorldHeldOutUsers, PairsPerUser: c.WorldPairs})
	if err != nil {
		return nil, err
	}
	tp, hp := s.run.Path("data", "train.jsonl"), s.run.Path("data", "heldout.jsonl")
	if err := os.MkdirAll(s.run.Path("data"), 0o755); err != nil {
		return nil, err
	}
	if err := w.WriteFSPO(tp, false); err != nil {
		return nil, err
	}
	if err := w.WriteFSPO(hp, true); err != nil {
		return nil, err
	}
	train, err := data.LoadFSPO(s.plan.Family, tp)
	if err != nil {
		return nil, err
	}
	held, err := data.LoadFSPO(s.plan.Family, hp)
	if err != nil {
		return nil, err
	}
	e, err := fspoEpisodes(s.plan, train, held, data.HeldOutUsers)
	if err != nil {
		return nil, err
	}
	e.World = true
	return e, nil
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
