package popi

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/prompt"
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
	var cfg PipelineConfig
	if err := ReadJSON(filepath.Join(dir, "config.json"), &cfg); err != nil {
		return nil, nil, fmt.Errorf("popi: %s is not a run directory: %w", dir, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	for k, v := range map[*string]string{&cfg.JudgeURL: o.JudgeURL, &cfg.JudgeModel: o.JudgeModel, &cfg.JudgeKeyEnv: o.JudgeKeyEnv,
		&cfg.TransferModelDir: o.TransferModelDir, &cfg.TransferURL: o.TransferURL, &cfg.TransferModel: o.TransferModel, &cfg.TransferKeyEnv: o.TransferKey} {
		if v != "" {
			*k = v
		}
	}
	if o.Out == "" {
		o.Out = "eval"
	}
	run, err := OpenRun(dir, true, log)
	if err != nil {
		return nil, nil, err
	}
	defer run.Close()
	_, heldEps, fam, mode, worldRun, err := pipelineEpisodes(&cfg, run)
	if err != nil {
		return nil, nil, err
	}
	if cfg.EvalUsers > 0 && cfg.EvalUsers < len(heldEps) {
		heldEps = heldEps[:cfg.EvalUsers]
	}
	base, tok, err := LoadBase(cfg.ModelDir, cfg.WeightType)
	if err != nil {
		return nil, nil, err
	}
	enc, err := prompt.NewChatEncoder(tok, base.Config, cfg.Plain)
	if err != nil {
		return nil, nil, err
	}
	tset, _ := cfg.templateSet()
	prm := prompt.Prompting{Family: fam, Mode: mode, Templates: tset}
	var before, after Summaries
	if err := ReadJSON(run.Path("summaries", "before_heldout.json"), &before); err != nil {
		return nil, nil, err
	}
	if o.Inference != "" {
		phi, _, err := LoadBase(o.Inference, cfg.WeightType)
		if err != nil {
			return nil, nil, err
		}
		sm := &Summarizer{Model: phi, Enc: enc, P: prm, MaxTokens: cfg.Stage1.MaxTokens, Temperature: cfg.SummaryTemperature, TopP: cfg.Stage1.TopP, Seed: cfg.Seed + 101}
		s, err := sm.Episodes(ctx, heldEps, cfg.PromptDependent, nil)
		if err != nil {
			return nil, nil, err
		}
		after = *s
	} else if err := ReadJSON(run.Path("summaries", "after_heldout.json"), &after); err != nil {
		return nil, nil, err
	}
	if len(before.Tokens) != len(heldEps) || len(after.Tokens) != len(heldEps) {
		return nil, nil, fmt.Errorf("popi: saved summaries cover %d/%d users, the run evaluates %d", len(before.Tokens), len(after.Tokens), len(heldEps))
	}
	mstr := o.Methods
	if mstr == "" {
		mstr = cfg.Methods
	}
	methods, err := ParseMethods(mstr)
	if err != nil {
		return nil, nil, err
	}
	var mms []MethodModel
	for _, m := range methods {
		g := base
		if m.Aligned() {
			p := run.Path("models", m.Slug())
			if !exists(filepath.Join(p, "config.json")) {
				return nil, nil, fmt.Errorf("popi: the run has no trained generator for %v (%s)", m, p)
			}
			if g, err = llama.Load(p, llama.LoadOptions{WeightType: cfg.WeightType}); err != nil {
				return nil, nil, err
			}
		}
		mms = append(mms, MethodModel{Method: m, Gen: g})
	}
	judge, err := pipelineJudge(&cfg, run, fam, worldRun)
	if err != nil {
		return nil, nil, err
	}
	ev := &Evaluation{Enc: enc, P: prm, Base: base, Judge: judge, Config: cfg.Eval, Episodes: heldEps, Before: &before, After: &after,
		Dataset: fam.String(), Seed: cfg.Seed, Log: log}
	ev.Config.Seed = cfg.Seed
	rms, det, err := ev.Run(ctx, mms)
	if err != nil {
		return nil, nil, err
	}
	rep, err := BuildReport(fmt.Sprintf("POPI evaluation of %s, seed %d", dir, cfg.Seed), rms)
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
	if cfg.TransferModelDir != "" || cfg.TransferURL != "" {
		if tr, err = runTransfer(ctx, &cfg, run, ev, methods); err != nil {
			return nil, nil, err
		}
	}
	return rep, tr, nil
}
