package popi

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/rl"
)

// latentFileName is the latent parameters' file in a checkpoint and in models/<method>.
const latentFileName = "latent.json"

// fineTuneLatent trains a latent method (LoRe, PAL-A, PAL-B): a copy of the base
// generator jointly with the method's latent parameters (one user row per training user),
// with the same preference objective, data (train's target pairs), steps, batch size and
// schedule as the other aligned methods (the latent parameters' learning rate is
// Stage2.LR × Latent.LRScale). It saves models/<method> (the generator and latent.json),
// then fits the held-out users' weights (FitLatentUsers) and returns the generator with
// the fitted held-out model.
func (p *pipeline) fineTuneLatent(m Method, train []data.Episode) (*llama.Model, *LatentFit, error) {
	c := &p.plan.Config
	if why := latentInapplicable(p.eps.Held); why != "" {
		p.run.Logf("[stage2-%s] skipped: %s\n", m.Slug(), why)
		return nil, nil, nil
	}
	lc := c.Latent.resolved()
	var users []string
	row := map[string]int{}
	var rows []int
	var pairs []data.PrefPair
	for _, ep := range train {
		u, ok := row[ep.UserID]
		if !ok {
			u = len(users)
			row[ep.UserID] = u
			users = append(users, ep.UserID)
		}
		for _, t := range ep.Targets {
			rows = append(rows, u)
			pairs = append(pairs, t)
		}
	}
	ph := p.enc.End
	exs, err := latentExamples(p.obj, rows, pairs, ph)
	if err != nil {
		return nil, nil, fmt.Errorf("popi: %v: %w", m, err)
	}
	theta, err := NewLMPolicy(CloneModel(p.base), p.enc)
	if err != nil {
		return nil, nil, err
	}
	lm, err := NewLatentModel(m, users, lc.K, p.base.Config.Hidden, embedScale(p.base), c.Seed+303)
	if err != nil {
		return nil, nil, err
	}
	tr := theta.Trainable()
	groups := append(nn.SplitDecay(tr.Params(), c.Stage2.WeightDecay), nn.ParamGroup{Params: lm.Params(), LRScale: lc.LRScale})
	opt := nn.NewAdamW(nn.AdamWConfig{}, groups...)
	pol := &latentPolicy{LM: lm, Train: tr, Placeholder: ph}
	if lm.NeedsPromptReps() {
		pol.Reps = newPromptReps(p.base)
	}
	d := &rl.DPO{Policy: pol, Opt: opt, Config: p.plan.Pref, MicroBatch: c.Stage2.MicroBatch}
	name := "stage2-" + m.Slug()
	p.run.Logf("[%s] %s fine-tuning of the generator with one learned user embedding (K=%d, %d training users, latent lr ×%g): %d steps, batch %d, %d examples\n",
		name, p.plan.Pref.Kind, lm.K, len(users), lc.LRScale, c.Stage2.Steps, c.Stage2.BatchSize, len(exs))
	ph2 := &phase[rl.PreferenceExample]{
		Name: name, Run: p.run, Model: theta.Model, Tok: p.tok, Opt: opt,
		Data: exs, BatchSize: min(c.Stage2.BatchSize, len(exs)), Steps: c.Stage2.Steps, Seed: c.Stage2.Seed,
		LR: rl.WarmupCosine(c.Stage2.LR, c.Stage2.Warmup, c.Stage2.Steps), Every: c.Stage2.CheckpointEvery, Resume: p.resume,
		Step: d.LoopStep, HeadName: "loss",
		Headline:  func(m map[string]float64) (float64, float64) { return m["loss"], 0 },
		SaveExtra: func(dir string) error { return lm.Save(filepath.Join(dir, latentFileName)) },
		LoadExtra: func(dir string) error {
			src, err := LoadLatentModel(filepath.Join(dir, latentFileName))
			if err != nil {
				return err
			}
			return lm.copyFrom(src)
		},
	}
	state, err := ph2.run(p.ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := PlotCurve(m.String()+": preference loss", "loss", state.History, p.run.Path(name+"_loss.png"), p.run.Path(name+"_loss.svg")); err != nil {
		return nil, nil, err
	}
	dir := p.run.Path("models", m.Slug())
	if err := llama.SaveModelDir(dir, theta.Model, p.tok, llama.SaveDirOptions{Extra: func(tmp string) error {
		return lm.Save(filepath.Join(tmp, latentFileName))
	}}); err != nil {
		return nil, nil, err
	}
	fit, err := FitLatentUsers(p.ctx, lm, theta.Model, p.base, p.obj, p.eps.Held, c.Latent, p.plan.Pref, c.Seed+404)
	if err != nil {
		return nil, nil, err
	}
	p.run.Logf("[%s] held-out users' weights fitted on their signal pairs (%d pairs, %d steps, generator frozen): objective %.4f -> %.4f\n",
		name, fit.Pairs, fit.Steps, fit.LossBefore, fit.LossAfter)
	if err := p.run.Metric(map[string]any{"phase": name + "-heldout-fit", "loss_before": fit.LossBefore, "loss_after": fit.LossAfter, "pairs": fit.Pairs, "steps": fit.Steps}); err != nil {
		return nil, nil, err
	}
	return theta.Model, fit, nil
}

// latentInapplicable says why the latent methods cannot be evaluated on held (empty:
// they can): a new user's weights are fitted from preference-pair signals, which AlignX's
// rendered signals are not.
func latentInapplicable(held []data.Episode) string {
	for i, ep := range held {
		if len(ep.Signals) == 0 {
			return fmt.Sprintf("LoRe and PAL fit a new user's embedding from preference-pair signals; held-out episode %d (%s) has none (AlignX's signals are text)", i, ep.UserID)
		}
	}
	return ""
}

// fitLatentForEval gives every latent method of mms (loaded from the run's
// models/<method>) its held-out users' weights fitted on held's signal pairs, as the run
// did (same seed); a latent method that cannot be fitted there is dropped with a log line.
func (s *session) fitLatentForEval(ctx context.Context, mms []MethodModel, held []data.Episode) ([]MethodModel, error) {
	var obj *Objective
	out := make([]MethodModel, 0, len(mms))
	for _, mm := range mms {
		if !mm.Method.Latent() {
			out = append(out, mm)
			continue
		}
		if why := latentInapplicable(held); why != "" {
			s.run.Logf("[eval] %v skipped: %s\n", mm.Method, why)
			continue
		}
		lm, err := LoadLatentModel(filepath.Join(s.run.Path("models", mm.Method.Slug()), latentFileName))
		if err != nil {
			return nil, err
		}
		if obj == nil {
			if obj, err = NewObjective(s.base, s.base, s.enc, s.plan.Prompting(), s.plan.Pref); err != nil {
				return nil, err
			}
		}
		c := &s.plan.Config
		if mm.Latent, err = FitLatentUsers(ctx, lm, mm.Gen, s.base, obj, held, c.Latent, s.plan.Pref, c.Seed+404); err != nil {
			return nil, err
		}
		out = append(out, mm)
	}
	return out, nil
}
