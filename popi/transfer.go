package popi

import (
	"context"
	"errors"
	"fmt"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/popi/openai"
	"github.com/popi-go/popi/popi/prompt"
)

// TransferTarget is a frozen generator the learned summaries are handed to (Tables 2-4).
type TransferTarget struct {
	Name string
	Gen  Generator
}

// Transfer evaluates the generator-free methods (Base-Model, Raw-Prompting,
// Inference-Prompting, POPI-Inference-Only) with each target generator: the same held-out
// episodes and summaries as ev, responses from the target, win rate against the target's
// own Base-Model responses. The report has one column group per target.
func Transfer(ctx context.Context, ev *Evaluation, targets []TransferTarget, methods []Method) (*Report, []MethodDetail, error) {
	if len(targets) == 0 {
		return nil, nil, errors.New("popi: no transfer targets")
	}
	if ev.Judge == nil {
		return nil, nil, errors.New("popi: generator transfer needs a judge")
	}
	var rms []RunMetrics
	var details []MethodDetail
	for _, t := range targets {
		e := *ev
		e.Base = nil
		e.BaseResp = t.Gen
		e.Dataset = t.Name
		var mms []MethodModel
		for _, m := range methods {
			if !m.Aligned() {
				mms = append(mms, MethodModel{Method: m, Responder: t.Gen})
			} else if m.Latent() && ev.Log != nil {
				fmt.Fprintf(ev.Log, "[transfer] %v skipped for %s: its user embeddings are tied to its own fine-tuned generator and cannot condition another one\n", m, t.Name)
			}
		}
		if len(mms) == 0 {
			return nil, nil, errors.New("popi: transfer needs at least one method that keeps the generator frozen")
		}
		r, d, err := e.Run(ctx, mms)
		if err != nil {
			return nil, nil, fmt.Errorf("popi: transfer to %s: %w", t.Name, err)
		}
		rms = append(rms, r...)
		details = append(details, d...)
	}
	rep, err := BuildReport("Generator transfer: win rate vs each generator's own Base-Model", rms)
	return rep, details, err
}

// transfer evaluates the run's summaries with the plan's transfer generators, each
// against its own Base-Model, and writes <prefix>.md (the Tables 2-4 layout: one win-rate
// column per generator and their average), <prefix>.json and <prefix>_details.json. A
// non-nil baseline adds Table 9's changes relative to it to every cell.
func (s *session) transfer(ctx context.Context, ev *Evaluation, methods []Method, prefix string, baseline *Report) (*Report, error) {
	cfg, run := &s.plan.Config, s.run
	var targets []TransferTarget
	for _, t := range s.plan.TransferSpecs {
		if t.ModelDir != "" {
			m, tok, err := LoadBase(t.ModelDir, cfg.WeightType)
			if err != nil {
				return nil, fmt.Errorf("popi: transfer model %s: %w", t.Name, err)
			}
			enc, err := prompt.NewChatEncoder(tok, m.Config, cfg.Plain)
			if err != nil {
				return nil, err
			}
			targets = append(targets, TransferTarget{Name: t.Name,
				Gen: &LocalGenerator{Model: m, Enc: enc, MaxTokens: cfg.Eval.MaxTokens, Temperature: cfg.Eval.Temperature, Seed: cfg.Seed}})
			continue
		}
		cl, err := openai.NewClient(openai.Config{BaseURL: t.URL, Model: t.Model, APIKeyEnv: t.KeyEnv,
			CacheDir: run.Path("cache", "transfer", t.Name), MaxTokens: cfg.Eval.MaxTokens, Temperature: cfg.Eval.Temperature})
		if err != nil {
			return nil, err
		}
		targets = append(targets, TransferTarget{Name: t.Name, Gen: cl})
	}
	run.Logf("[transfer] %d target generator(s)\n", len(targets))
	rep, det, err := Transfer(ctx, ev, targets, methods)
	if err != nil {
		return nil, err
	}
	rep.Layout = LayoutWinRate
	rep.Baseline = baseline
	if err := rep.Write(run.Path(prefix+".md"), run.Path(prefix+".json")); err != nil {
		return nil, err
	}
	return rep, atomicfile.WriteJSON(run.Path(prefix+"_details.json"), det, fileMode)
}
