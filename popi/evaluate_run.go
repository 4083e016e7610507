package popi

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
)

// EvalRunOptions re-evaluates the saved models of a finished run.
type EvalRunOptions struct {
	// Inference, if set, is a πφ model directory whose summaries replace the run's (they are
	// regenerated); otherwise the run's saved held-out summaries are used.
	Inference string
	// Methods to evaluate ("" or "all": those the run trained).
	Methods string
	// Judge and transfer overrides (empty: the run's configuration).
	JudgeURL, JudgeModel, JudgeKeyEnv                         string
	TransferModelDir, TransferURL, TransferModel, TransferKey string
	// Out is the prefix of the written files inside the run directory ("eval").
	Out string
}

// EvaluateRun loads a run directory's config, data, base model, Stage-2 generators
// (models/<method>) and summaries, evaluates the methods on the held-out users and writes
// <Out>.md, <Out>.json and <Out>_details.json there (and <Out>_transfer.* with transfer
// targets).
func EvaluateRun(ctx context.Context, dir string, o EvalRunOptions, log io.Writer) (*Report, *Report, error) {
	s, err := reopenSession(dir, o, log)
	if err != nil {
		return nil, nil, err
	}
	defer s.run.Close()
	if o.Out == "" {
		o.Out = "eval"
	}
	if err := s.loadEpisodes(); err != nil {
		return nil, nil, err
	}
	if err := s.loadBase(); err != nil {
		return nil, nil, err
	}
	c, run := &s.plan.Config, s.run
	var before, after Summaries
	if err := ReadJSON(run.Path("summaries", "before_heldout.json"), &before); err != nil {
		return nil, nil, err
	}
	if o.Inference != "" {
		phi, _, err := LoadBase(o.Inference, c.WeightType)
		if err != nil {
			return nil, nil, err
		}
		sm := &Summarizer{Model: phi, Enc: s.enc, P: s.plan.Prompting(), MaxTokens: c.Stage1.MaxTokens, Temperature: c.SummaryTemperature, TopP: c.Stage1.TopP, Seed: c.Seed + 101}
		got, err := sm.Episodes(ctx, s.eps.Held, c.PromptDependent, nil)
		if err != nil {
			return nil, nil, err
		}
		after = *got
	} else if err := ReadJSON(run.Path("summaries", "after_heldout.json"), &after); err != nil {
		return nil, nil, err
	}
	held := s.eps.Held
	if len(before.Tokens) != len(held) || len(after.Tokens) != len(held) {
		return nil, nil, fmt.Errorf("popi: saved summaries cover %d/%d users, the run evaluates %d", len(before.Tokens), len(after.Tokens), len(held))
	}
	methods := s.plan.Methods
	if o.Methods != "" {
		if methods, err = ParseMethods(o.Methods); err != nil {
			return nil, nil, err
		}
	}
	var mms []MethodModel
	for _, m := range methods {
		g := s.base
		if m.Aligned() {
			p := run.Path("models", m.Slug())
			if !exists(filepath.Join(p, "config.json")) {
				return nil, nil, fmt.Errorf("popi: the run has no trained generator for %v (%s)", m, p)
			}
			if g, err = llama.Load(p, llama.LoadOptions{WeightType: c.WeightType}); err != nil {
				return nil, nil, err
			}
		}
		mms = append(mms, MethodModel{Method: m, Gen: g})
	}
	judge, err := s.judge()
	if err != nil {
		return nil, nil, err
	}
	ev := s.evaluation(&before, &after, judge, log)
	rms, det, err := ev.Run(ctx, mms)
	if err != nil {
		return nil, nil, err
	}
	rep, err := BuildReport(fmt.Sprintf("POPI evaluation of %s, seed %d", dir, c.Seed), rms)
	if err != nil {
		return nil, nil, err
	}
	if err := rep.Write(run.Path(o.Out+".md"), run.Path(o.Out+".json")); err != nil {
		return nil, nil, err
	}
	if err := atomicfile.WriteJSON(run.Path(o.Out+"_details.json"), det, fileMode); err != nil {
		return nil, nil, err
	}
	var tr *Report
	if s.plan.Transfers() {
		if tr, err = s.transfer(ctx, ev, methods); err != nil {
			return nil, nil, err
		}
	}
	return rep, tr, nil
}

// reopenSession reopens a finished run for re-evaluation: its config.json with o's judge
// and transfer overrides, resolved into a plan.
func reopenSession(dir string, o EvalRunOptions, log io.Writer) (*session, error) {
	var cfg PipelineConfig
	if err := ReadJSON(filepath.Join(dir, "config.json"), &cfg); err != nil {
		return nil, fmt.Errorf("popi: %s is not a run directory: %w", dir, err)
	}
	for k, v := range map[*string]string{&cfg.JudgeURL: o.JudgeURL, &cfg.JudgeModel: o.JudgeModel, &cfg.JudgeKeyEnv: o.JudgeKeyEnv,
		&cfg.TransferModelDir: o.TransferModelDir, &cfg.TransferURL: o.TransferURL, &cfg.TransferModel: o.TransferModel, &cfg.TransferKeyEnv: o.TransferKey} {
		if v != "" {
			*k = v
		}
	}
	plan, err := openPlan(cfg)
	if err != nil {
		return nil, err
	}
	run, err := OpenRun(dir, true, log)
	if err != nil {
		return nil, err
	}
	return &session{plan: plan, run: run}, nil
}
