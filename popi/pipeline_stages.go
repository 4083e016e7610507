package popi

import (
	"fmt"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/rl"
)

// stage1 trains the inference model πφ (a copy of the base model) with GRPO against the
// frozen generator, plots its reward curve and saves it as models/inference.
func (p *pipeline) stage1() (*llama.Model, TrainState, error) {
	c := &p.plan.Config
	var prompts []rl.Prompt
	if p.eps.Sampler == nil {
		var err error
		if prompts, err = Stage1Prompts(p.enc, p.plan.Prompting(), p.eps.Train, c.Stage1.RewardPairs, c.PromptDependent); err != nil {
			return nil, TrainState{}, err
		}
	}
	phiModel, refModel, err := p.stage1Models()
	if err != nil {
		return nil, TrainState{}, err
	}
	phi, err := NewLMPolicy(phiModel, p.enc)
	if err != nil {
		return nil, TrainState{}, err
	}
	phiRef, err := NewLMPolicy(refModel, p.enc)
	if err != nil {
		return nil, TrainState{}, err
	}
	s1 := c.Stage1
	sum := Summarizer{Enc: p.enc, P: p.plan.Prompting(), MaxTokens: s1.MaxTokens, Temperature: c.SummaryTemperature, TopP: s1.TopP, Seed: c.Seed + 303}
	ev, err := NewStage1Eval(p.eps.Held, s1.EvalUsers, s1.EvalPairs, p.obj, sum, c.PromptDependent)
	if err != nil {
		return nil, TrainState{}, err
	}
	st1 := &Stage1{Config: s1, Policy: phi, Ref: phiRef, Obj: p.obj, Tok: p.tok, Eval: ev}
	var state TrainState
	if sm := p.eps.Sampler; sm != nil {
		p.run.Logf("[stage1] GRPO on the inference model: %d steps, %d samples/step, group %d, %s β=%g, α=%g, %d training samples with fresh signal sets every step\n",
			s1.Steps, s1.BatchSize, s1.GroupSize, p.plan.Pref.Kind, p.plan.Pref.Beta, p.plan.Alpha(), sm.Len())
		build := func(step int, idx []int) ([]rl.Prompt, error) {
			eps := make([]data.Episode, len(idx))
			for k, i := range idx {
				var err error
				if eps[k], err = sm.Episode(i, uint64(step)); err != nil {
					return nil, err
				}
			}
			return Stage1Prompts(p.enc, p.plan.Prompting(), eps, s1.RewardPairs, c.PromptDependent)
		}
		state, err = st1.RunSampled(p.ctx, p.run, sm.Len(), build, p.resume)
	} else {
		p.run.Logf("[stage1] GRPO on the inference model: %d steps, %d prompts/step, group %d, %s β=%g, α=%g, %d prompts\n",
			s1.Steps, s1.BatchSize, s1.GroupSize, p.plan.Pref.Kind, p.plan.Pref.Beta, p.plan.Alpha(), len(prompts))
		state, err = st1.Run(p.ctx, p.run, prompts, p.resume)
	}
	if err != nil {
		return nil, state, err
	}
	p.run.Logf("%s\n", HeldOutVerdict(state.HeldOut))
	if err := PlotStage1(state.History, state.HeldOut, p.eps.World, 10,
		p.run.Path("stage1_reward.png"), p.run.Path("stage1_reward.svg")); err != nil {
		return nil, state, err
	}
	if err := SaveTrainedModel(p.run.Path("models", "inference"), phi.Model, p.tok); err != nil {
		return nil, state, err
	}
	return phi.Model, state, nil
}

// Seeds of the adapters' A matrices (mixed with the run's seed; Stage 2 also with the method).
const (
	stage1AdapterSeed = 0x10ad5eed
	stage2AdapterSeed = 0x20ad5eed << 8
)

// stage1Models are Stage 1's πφ and πφ_ref: with LoRA a view of the base with a fresh
// adapter and the base with none (one base in memory for πφ, πφ_ref and the frozen
// generator); otherwise a full copy of the base and the base itself.
func (p *pipeline) stage1Models() (phi, ref *llama.Model, err error) {
	c := &p.plan.Config
	if phi, err = trainedModel(p.base, p.lora, c.LoRA.Adapter(c.ModelDir), c.Seed^stage1AdapterSeed); err != nil {
		return nil, nil, err
	}
	if !p.lora {
		return phi, p.base, nil
	}
	ref, err = p.base.WithAdapter(nil)
	return phi, ref, err
}

// stage2 fine-tunes a generator for every aligned method of the plan (POPI-Full on the
// Stage-1 summaries phi writes, the aligned baselines on raw signals or πφ_ref summaries),
// unless Stage 2 is skipped, and returns the generator of every method (the frozen base
// model for the others).
func (p *pipeline) stage2(phi *llama.Model) (map[Method]*llama.Model, error) {
	c := &p.plan.Config
	gens := map[Method]*llama.Model{}
	for _, m := range p.plan.Methods {
		if !m.Aligned() {
			gens[m] = p.base
		}
	}
	if c.SkipStage2 {
		return gens, nil
	}
	train, err := p.stage2Episodes()
	if err != nil {
		return nil, err
	}
	var before, after *Summaries
	for _, m := range p.plan.Methods {
		if !m.Aligned() {
			continue
		}
		_, src := m.Condition()
		if src == SummaryBefore && before == nil {
			if before, err = p.summaries("before_train", p.base, train, c.Stage1.Temperature, c.Seed+202); err != nil {
				return nil, err
			}
		}
		if src == SummaryAfter && after == nil {
			if after, err = p.summaries("after_train", phi, train, c.Stage1.Temperature, c.Seed+202); err != nil {
				return nil, err
			}
		}
		if m.Latent() {
			if p.latent == nil {
				p.latent = map[Method]*LatentFit{}
			}
			g, fit, err := p.fineTuneLatent(m, train)
			if err != nil {
				return nil, err
			}
			if g != nil { // nil: not applicable to this data (logged)
				gens[m], p.latent[m] = g, fit
			}
			continue
		}
		if gens[m], err = p.fineTune(m, train, before, after); err != nil {
			return nil, err
		}
	}
	return gens, nil
}

// stage2Key keys Stage 2's per-step draws apart from Stage 1's step keys.
const stage2Key = 1 << 62

// stage2Episodes are the episodes Stage 2 and the aligned baselines train on: with fixed
// episodes the training episodes cut to Stage2Targets targets (0: all); with per-step
// episodes one episode per training sample, its pair the only target and a fresh signal
// set (Algorithm 1, lines 14-15: sample an example, sample its summary).
func (p *pipeline) stage2Episodes() ([]data.Episode, error) {
	c := &p.plan.Config
	if sm := p.eps.Sampler; sm != nil {
		out := make([]data.Episode, sm.Len())
		for i := range out {
			var err error
			if out[i], err = sm.Stage2Episode(i, stage2Key); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	train := p.eps.Train
	if c.Stage2Targets > 0 {
		train = make([]data.Episode, len(p.eps.Train))
		for i, ep := range p.eps.Train {
			ep.Targets = ep.Targets[:min(c.Stage2Targets, len(ep.Targets))]
			train[i] = ep
		}
	}
	return train, nil
}

// fineTune trains one aligned method's generator (a copy of the base model) with DPO or
// IPO on train's target pairs under the method's conditioning, plots its loss and saves it
// as models/<method>.
func (p *pipeline) fineTune(m Method, train []data.Episode, before, after *Summaries) (*llama.Model, error) {
	c := &p.plan.Config
	exs, err := Stage2Examples(p.obj, train, Conditioner(m, train, before, after))
	if err != nil {
		return nil, fmt.Errorf("popi: %v: %w", m, err)
	}
	gen, err := trainedModel(p.base, p.lora, p.plan.Config.LoRA.Adapter(c.ModelDir), c.Seed^stage2AdapterSeed^uint64(m))
	if err != nil {
		return nil, err
	}
	theta, err := NewLMPolicy(gen, p.enc)
	if err != nil {
		return nil, err
	}
	st2 := &Stage2{Config: c.Stage2, Pref: p.plan.Pref, Policy: theta, Tok: p.tok}
	name := "stage2-" + m.Slug()
	p.run.Logf("[%s] %s fine-tuning of the generator: %d steps, batch %d, %d examples (reference log-probs cached: %d pairs)\n",
		name, p.plan.Pref.Kind, c.Stage2.Steps, c.Stage2.BatchSize, len(exs), p.obj.RefScorings())
	state, err := st2.Run(p.ctx, p.run, name, exs, p.resume)
	if err != nil {
		return nil, err
	}
	if err := PlotCurve(m.String()+": preference loss", "loss", state.History, p.run.Path(name+"_loss.png"), p.run.Path(name+"_loss.svg")); err != nil {
		return nil, err
	}
	if err := SaveTrainedModel(p.run.Path("models", m.Slug()), theta.Model, p.tok); err != nil {
		return nil, err
	}
	return theta.Model, nil
}
