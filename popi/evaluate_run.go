package popi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/openai"
)

// EvalRunOptions re-evaluates the saved models of a finished run, without retraining.
type EvalRunOptions struct {
	// Inference, if set, is another inference model whose summaries replace the run's (they
	// are regenerated): [NAME=]DIR for a local model or [NAME=]URL#MODEL[#KEYENV] for an
	// OpenAI-compatible API (answers cached in the run's cache/inference/NAME); its rows are labelled "Inference-Prompting (InferenceName as Inference
	// Model)" and "POPI-Full generator (InferenceName as Inference Model)", since they are
	// no longer POPI's summaries. InferenceName defaults to NAME, the directory's base name or
	// the API model.
	Inference, InferenceName string
	// Methods to evaluate ("" or "all": those the run trained).
	Methods string
	// Templates, if set, renders the generator's prompts with another template set (the
	// Appendix C ablation changes them at transfer time only; the run's summaries are
	// reused, the inference prompt being unchanged).
	Templates string
	// Split, if set, evaluates AlignX on that test split ("demo", "pair", "ugc",
	// "arbitrary") or on all four ("all": one column group per split, records lacking a
	// split's source skipped there); summaries are regenerated with the run's models.
	Split string
	// HeldOutFiles, if set, replace the run's held-out data (e.g. an AlignX test split file).
	HeldOutFiles []string
	// Judge override (empty: the run's configuration).
	JudgeURL, JudgeModel, JudgeKeyEnv string
	// Transfers replace the run's transfer generators; the single-target fields add one.
	Transfers                                                 []TransferSpec
	TransferModelDir, TransferURL, TransferModel, TransferKey string
	// Out is the prefix of the written files inside the run directory ("eval"); the
	// transfer table goes to transfer.* with the default prefix and to <Out>_transfer.*
	// otherwise, so an ablation does not overwrite the original table.
	Out string
	// Compare, if set, is the transfer JSON of an earlier evaluation (e.g. the paper's
	// templates): every transfer cell also shows its change relative to that table, as
	// the paper's Table 9 does for the alternative templates.
	Compare string
}

// EvaluateRun loads a run directory's config, data, base model, Stage-2 generators
// (models/<method>) and summaries, evaluates the methods on the held-out episodes (every
// requested AlignX split) and writes <Out>.md, <Out>.json and <Out>_details.json there
// (and transfer.* with transfer generators).
func EvaluateRun(ctx context.Context, dir string, o EvalRunOptions, log io.Writer) (*Report, *Report, error) {
	s, splits, err := reopenSession(dir, o, log)
	if err != nil {
		return nil, nil, err
	}
	defer s.run.Close()
	if o.Out == "" {
		o.Out = "eval"
	}
	var baseline *Report
	if o.Compare != "" {
		if !s.plan.Transfers() {
			return nil, nil, errors.New("popi: -compare applies to the transfer table: give -transfer generators")
		}
		if baseline, err = ReadReport(o.Compare); err != nil {
			return nil, nil, err
		}
	}
	if err := s.loadEpisodes(); err != nil {
		return nil, nil, err
	}
	for _, n := range s.eps.Notes {
		s.run.Logf("%s\n", n)
	}
	if err := s.loadBase(); err != nil {
		return nil, nil, err
	}
	c := &s.plan.Config
	methods := s.plan.Methods
	if o.Methods != "" {
		if methods, err = ParseMethods(o.Methods); err != nil {
			return nil, nil, err
		}
	}
	mms, err := s.methodModels(methods)
	if err != nil {
		return nil, nil, err
	}
	judge, err := s.judge()
	if err != nil {
		return nil, nil, err
	}
	labels := map[Method]string{}
	phiDir, phiName := s.run.Path("models", "inference"), ""
	var phiAPI Generator
	if o.Inference != "" {
		spec, err := ParseTransferSpec(o.Inference)
		if err != nil {
			return nil, nil, fmt.Errorf("popi: -inference: %w", err)
		}
		phiDir, phiName = spec.ModelDir, o.InferenceName
		if phiName == "" {
			phiName = spec.Name
		}
		if spec.URL != "" {
			phiAPI, err = openai.NewClient(openai.Config{BaseURL: spec.URL, Model: spec.Model, APIKeyEnv: spec.KeyEnv,
				CacheDir: s.run.Path("cache", "inference", spec.Name), MaxTokens: c.Stage1.MaxTokens, Temperature: c.SummaryTemperature})
			if err != nil {
				return nil, nil, err
			}
		}
		labels[MethodPOPIInferenceOnly] = fmt.Sprintf("Inference-Prompting (%s as Inference Model)", phiName)
		labels[MethodPOPIFull] = fmt.Sprintf("POPI-Full generator (%s as Inference Model)", phiName)
	}
	var rms []RunMetrics
	var details []MethodDetail
	var last *Evaluation
	for _, sp := range splits {
		held, name := s.eps.Held, s.plan.Family.String()
		if sp != nil {
			var notes []string
			if held, notes, err = alignXHeld(s.plan, s.eps.heldRecs, *sp, len(splits) > 1); err != nil {
				return nil, nil, err
			}
			if n := c.EvalUsers; n > 0 && n < len(held) {
				held = held[:n]
			}
			for _, n := range notes {
				s.run.Logf("%s\n", n)
			}
			name = "alignx " + sp.String()
		}
		saved := sp == nil && o.Inference == "" && len(o.HeldOutFiles) == 0
		before, after, err := s.evalSummaries(ctx, held, saved, phiDir, phiAPI)
		if err != nil {
			return nil, nil, err
		}
		ev := s.evaluation(before, after, judge, log)
		ev.Episodes, ev.Dataset, ev.Labels = held, name, labels
		splitMMs, err := s.fitLatentForEval(ctx, mms, held)
		if err != nil {
			return nil, nil, err
		}
		r, d, err := ev.Run(ctx, splitMMs)
		if err != nil {
			return nil, nil, err
		}
		rms, details, last = append(rms, r...), append(details, d...), ev
	}
	rep, err := BuildReport(fmt.Sprintf("POPI evaluation of %s (templates %s), seed %d", dir, templateName(s.plan), c.Seed), rms)
	if err != nil {
		return nil, nil, err
	}
	if err := rep.Write(s.run.Path(o.Out+".md"), s.run.Path(o.Out+".json")); err != nil {
		return nil, nil, err
	}
	if err := atomicfile.WriteJSON(s.run.Path(o.Out+"_details.json"), details, fileMode); err != nil {
		return nil, nil, err
	}
	var tr *Report
	if s.plan.Transfers() {
		if len(splits) > 1 {
			return nil, nil, errors.New("popi: transfer evaluates one split at a time: give -split NAME")
		}
		prefix := "transfer"
		if o.Out != "eval" {
			prefix = o.Out + "_transfer"
		}
		if tr, err = s.transfer(ctx, last, methods, prefix, baseline); err != nil {
			return nil, nil, err
		}
	}
	return rep, tr, nil
}

func templateName(p *Plan) string {
	if p.Config.Templates == "" {
		return "paper"
	}
	return p.Config.Templates
}

// methodModels pairs each method with its generator: the base model, or the run's
// fine-tuned models/<method> for the aligned methods.
func (s *session) methodModels(methods []Method) ([]MethodModel, error) {
	var mms []MethodModel
	for _, m := range methods {
		g := s.base
		if m.Aligned() {
			p := s.run.Path("models", m.Slug())
			if !exists(filepath.Join(p, "config.json")) && !isAdapterDir(p) {
				return nil, fmt.Errorf("popi: the run has no trained generator for %v (%s)", m, p)
			}
			var err error
			if g, err = s.loadTrained(p); err != nil {
				return nil, err
			}
		}
		mms = append(mms, MethodModel{Method: m, Gen: g})
	}
	return mms, nil
}

// evalSummaries are the πφ_ref and πφ summaries of held: the run's saved held-out
// summaries when saved is set, otherwise written now with the run's summary settings
// (πφ_ref is the base model, πφ the model in phiDir).
func (s *session) evalSummaries(ctx context.Context, held []data.Episode, saved bool, phiDir string, phiAPI Generator) (*Summaries, *Summaries, error) {
	c := &s.plan.Config
	var before, after Summaries
	if saved {
		for _, x := range []struct {
			name string
			dst  *Summaries
		}{{"before_heldout", &before}, {"after_heldout", &after}} {
			if err := ReadJSON(s.run.Path("summaries", x.name+".json"), x.dst); err != nil {
				return nil, nil, err
			}
			if len(x.dst.Tokens) != len(held) {
				return nil, nil, fmt.Errorf("popi: saved summaries %s cover %d episodes, the run evaluates %d", x.name, len(x.dst.Tokens), len(held))
			}
		}
		return &before, &after, nil
	}
	write := func(m *llama.Model) (*Summaries, error) {
		sm := &Summarizer{Model: m, Enc: s.enc, P: s.plan.Prompting(), MaxTokens: c.Stage1.MaxTokens, Temperature: c.SummaryTemperature, TopP: c.Stage1.TopP, Seed: c.Seed + 101}
		return sm.Episodes(ctx, held, c.PromptDependent, nil)
	}
	b, err := write(s.base)
	if err != nil {
		return nil, nil, err
	}
	var a *Summaries
	if phiAPI != nil {
		sm := &Summarizer{Gen: phiAPI, Enc: s.enc, P: s.plan.Prompting()}
		a, err = sm.Episodes(ctx, held, c.PromptDependent, nil)
	} else {
		var phi *llama.Model
		if isAdapterDir(phiDir) {
			phi, err = s.loadTrained(phiDir)
		} else {
			phi, _, err = LoadBase(phiDir, c.WeightType)
		}
		if err != nil {
			return nil, nil, err
		}
		a, err = write(phi)
	}
	if err != nil {
		return nil, nil, err
	}
	return b, a, nil
}

// reopenSession reopens a finished run for re-evaluation: its config.json with o's
// overrides (judge, transfer, templates, held-out files), resolved into a plan, and the
// AlignX splits to evaluate (a single nil entry: the run's held-out episodes as they are).
func reopenSession(dir string, o EvalRunOptions, log io.Writer) (*session, []*data.AlignXSplit, error) {
	var cfg PipelineConfig
	if err := ReadJSON(filepath.Join(dir, "config.json"), &cfg); err != nil {
		return nil, nil, fmt.Errorf("popi: %s is not a run directory: %w", dir, err)
	}
	for k, v := range map[*string]string{&cfg.JudgeURL: o.JudgeURL, &cfg.JudgeModel: o.JudgeModel, &cfg.JudgeKeyEnv: o.JudgeKeyEnv,
		&cfg.TransferModelDir: o.TransferModelDir, &cfg.TransferURL: o.TransferURL, &cfg.TransferModel: o.TransferModel,
		&cfg.TransferKeyEnv: o.TransferKey, &cfg.Templates: o.Templates} {
		if v != "" {
			*k = v
		}
	}
	if len(o.Transfers) > 0 {
		cfg.Transfers = o.Transfers
	}
	if len(o.HeldOutFiles) > 0 {
		cfg.HeldOutFiles = o.HeldOutFiles
	}
	splits := []*data.AlignXSplit{nil}
	if sp := strings.TrimSpace(o.Split); sp != "" {
		fam, err := data.ParseFamily(cfg.Family)
		if err != nil {
			return nil, nil, err
		}
		if fam != data.FamilyAlignX {
			return nil, nil, fmt.Errorf("popi: -split applies to AlignX runs, this run is %v", fam)
		}
		splits = nil
		names := []string{sp}
		if strings.EqualFold(sp, "all") {
			names = []string{"Arbitrary", "DEMO", "PAIR", "UGC"}
		}
		for _, n := range names {
			x, err := data.ParseAlignXSplit(n)
			if err != nil {
				return nil, nil, err
			}
			splits = append(splits, &x)
		}
		cfg.AlignXSplit = splits[0].String()
	}
	plan, err := openPlan(cfg)
	if err != nil {
		return nil, nil, err
	}
	run, err := OpenRun(dir, true, log)
	if err != nil {
		return nil, nil, err
	}
	return &session{plan: plan, run: run}, splits, nil
}
