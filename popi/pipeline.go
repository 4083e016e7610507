package popi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/world"
)

// RunPipeline runs POPI end to end in cfg's run directory out: data, Stage 1, Stage 2 (three
// fine-tuned generators: POPI-Full, Raw-Aligned, Inference-Aligned), the evaluation of the
// methods on held-out users, plots, example summaries and, if configured, generator
// transfer. With resume it continues the run in out from its checkpoints (the saved
// config.json is used, cfg is ignored).
func RunPipeline(ctx context.Context, cfg PipelineConfig, out string, resume bool, log io.Writer) (*PipelineResult, error) {
	start := time.Now()
	if log == nil {
		log = io.Discard
	}
	s, err := openSession(cfg, out, resume, log)
	if err != nil {
		return nil, err
	}
	s.plan.Config.Scorer = cfg.Scorer
	defer s.run.Close()
	p := &pipeline{session: s, ctx: ctx, resume: resume, log: log}
	if err := p.setup(); err != nil {
		return nil, err
	}
	defer heapForWeights(p.base.WeightBytes())()
	c := &p.plan.Config
	// Unoptimized summaries πφ_ref (Inference-Prompting, Inference-Aligned).
	before, err := p.summaries("before_heldout", p.base, p.eps.Held, c.SummaryTemperature, c.Seed+101)
	if err != nil {
		return nil, err
	}
	phi, state1, err := p.stage1()
	if err != nil {
		return nil, err
	}
	after, err := p.summaries("after_heldout", phi, p.eps.Held, c.SummaryTemperature, c.Seed+101)
	if err != nil {
		return nil, err
	}
	gens, err := p.stage2(phi)
	if err != nil {
		return nil, err
	}
	res, ev, err := p.evaluate(gens, before, after)
	if err != nil {
		return nil, err
	}
	res.Stage1 = state1
	if p.plan.Transfers() {
		if res.Transfer, err = p.transfer(ctx, ev, p.plan.Methods, "transfer", nil); err != nil {
			return nil, err
		}
	}
	p.run.Logf("done in %s; results in %s\n", time.Since(start).Round(time.Second), p.run.Dir)
	return res, nil
}

// pipeline is one RunPipeline call: its session, the objective with the frozen base
// generator, and whether it resumes.
type pipeline struct {
	*session
	ctx    context.Context
	resume bool
	log    io.Writer
	obj    *Objective
	latent map[Method]*LatentFit // the latent methods' held-out fits (latent_pipeline.go)
}

// setup is the data phase and the base model: episodes, the base generator and its
// objective, and (on the persona world) the oracle diagnostic.
func (p *pipeline) setup() error {
	if err := p.loadEpisodes(); err != nil {
		return err
	}
	p.run.Logf("preset: %s\n", PresetDescription(p.plan.Config.Preset))
	if sm := p.eps.Sampler; sm != nil {
		p.run.Logf("data: %s, %d training samples (episodes drawn per step), %d held-out episodes evaluated (%s)\n",
			p.plan.Family, sm.Len(), len(p.eps.Held), p.eps.HeldOut)
	} else {
		p.run.Logf("data: %s, %d training episodes, %d held-out episodes evaluated\n", p.plan.Family, len(p.eps.Train), len(p.eps.Held))
	}
	for _, n := range append(append([]string(nil), p.eps.Notes...), p.plan.Notes...) {
		p.run.Logf("%s\n", n)
	}
	if err := p.loadBase(); err != nil {
		return err
	}
	p.run.Logf("base model %s: %d parameters, vocabulary %d\n", p.plan.Config.ModelDir, p.base.NumParams(), p.base.Config.Vocab)
	if err := p.logLoRA(); err != nil {
		return err
	}
	obj, err := NewObjective(p.base, p.base, p.enc, p.plan.Prompting(), p.plan.Pref)
	if err != nil {
		return err
	}
	if sc := p.plan.Config.Scorer; sc != nil {
		obj.SetScorer(sc)
		p.run.Logf("frozen generator scoring: remote (%T)\n", sc)
	}
	p.obj = obj
	if p.eps.World {
		return p.oracle()
	}
	return nil
}

// oracle logs the objective on held-out pairs with the true persona summaries (what a
// perfect inference model would write) against no summary; it bounds what Stage 1 can
// reach with this generator.
func (p *pipeline) oracle() error {
	ol, err := oracleLoss(p.obj, p.eps.Held)
	if err != nil {
		return err
	}
	nl, err := p.obj.NoInformationLoss()
	if err != nil {
		return err
	}
	p.run.Logf("held-out objective with the true persona summaries: %.4f (no information: %.4f)\n", ol, nl)
	return p.run.Metric(map[string]any{"phase": "oracle", "heldout_loss_true_summary": ol, "no_information_loss": nl})
}

// summaries writes (or, resuming, reads back) the run's summaries/<name>.json: m's
// summaries of eps.
func (p *pipeline) summaries(name string, m *llama.Model, eps []data.Episode, temp float64, seed uint64) (*Summaries, error) {
	c := &p.plan.Config
	path := p.run.Path("summaries", name+".json")
	if p.resume && exists(path) {
		var s Summaries
		if err := ReadJSON(path, &s); err != nil {
			return nil, err
		}
		return &s, nil
	}
	sm := &Summarizer{Model: m, Enc: p.enc, P: p.plan.Prompting(), MaxTokens: c.Stage1.MaxTokens, Temperature: temp, TopP: c.Stage1.TopP, Seed: seed}
	got, err := sm.Episodes(p.ctx, eps, c.PromptDependent, nil)
	if err != nil {
		return nil, fmt.Errorf("popi: %s summaries: %w", name, err)
	}
	got.Meta.Model = name
	p.run.Logf("[summaries] %s: %d written, mean %.1f tokens\n", name, len(got.Tokens), meanInts(got.Tokens))
	return got, atomicfile.WriteJSON(path, got, fileMode)
}

// oracleLoss is the mean objective over the episodes' targets with each user's true persona
// summary (persona world only).
func oracleLoss(obj *Objective, eps []data.Episode) (float64, error) {
	sum, n := 0.0, 0
	for i := range eps {
		p, err := world.ParseSentence(eps[i].Persona)
		if err != nil {
			return 0, err
		}
		l, err := obj.SummaryLoss(p.Summary(), eps[i].Targets)
		if err != nil {
			return 0, err
		}
		sum += l
		n++
	}
	if n == 0 {
		return 0, errors.New("popi: no episodes")
	}
	return sum / float64(n), nil
}

func meanInts(xs []int) float64 {
	m, err := MeanInt(xs)
	if err != nil {
		return 0
	}
	return m
}
