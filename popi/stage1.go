package popi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
	"github.com/popi-go/popi/rl"
)

// Stage1Config configures Stage 1 (Algorithm 1, lines 3-11): GRPO on the inference model πφ
// with reward −ℓ (Eq. 1 or 2) of the frozen generator given each sampled summary and a KL
// penalty to the frozen πφ_ref.
type Stage1Config struct {
	Steps     int     // optimizer steps
	BatchSize int     // user episodes (prompts) per step (paper: 8)
	GroupSize int     // summaries sampled per prompt (>= 2)
	LR        float64 // peak learning rate (paper: 1e-6 for 3B models)
	Warmup    int     // warm-up steps of the cosine schedule (paper: 150)
	// Alpha is the KL weight; negative selects the paper's DefaultAlpha(kind, β).
	Alpha       float64
	WeightDecay float64
	Temperature float64 // sampling temperature of summaries
	TopP        float64
	MaxTokens   int // summary length limit in tokens
	// RewardPairs is the number of the episode's target pairs averaged in one reward (the
	// paper samples one example per iteration; more lowers the reward's variance).
	RewardPairs int
	MicroBatch  int // sequences per forward/backward (0: all)
	Seed        uint64
	// PromptDependent conditions the summary on the upcoming prompt too (Appendix B); each
	// prompt then carries exactly one target pair.
	PromptDependent bool
	CheckpointEvery int
	// Advantage is the normalisation of the group-centred rewards: "group" (GRPO: the
	// group's standard deviation; also when empty), "batch" (the batch's) or "none".
	Advantage string
	// EvalEvery is the number of steps between held-out evaluations of πφ (0: only before
	// and after training, when the pipeline sets Stage1.Eval); EvalUsers held-out users
	// (0: all evaluated ones) with EvalPairs target pairs each (0: all).
	EvalEvery, EvalUsers, EvalPairs int
}

// Validate reports a configuration error.
func (c Stage1Config) Validate() error {
	switch {
	case c.Steps <= 0 || c.BatchSize <= 0:
		return fmt.Errorf("popi: stage 1 needs Steps and BatchSize > 0 (got %d, %d)", c.Steps, c.BatchSize)
	case c.GroupSize < 2:
		return fmt.Errorf("popi: stage 1 group size must be >= 2, got %d", c.GroupSize)
	case !(c.LR >= 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("popi: stage 1 bad learning rate %v", c.LR)
	case c.MaxTokens <= 0:
		return fmt.Errorf("popi: stage 1 MaxTokens must be > 0, got %d", c.MaxTokens)
	case c.RewardPairs <= 0:
		return fmt.Errorf("popi: stage 1 RewardPairs must be > 0, got %d", c.RewardPairs)
	case c.Warmup < 0:
		return fmt.Errorf("popi: stage 1 warm-up %d must not be negative", c.Warmup)
	case c.Advantage != "" && c.Advantage != "group" && c.Advantage != "batch" && c.Advantage != "none":
		return fmt.Errorf("popi: stage 1 advantage normalisation %q: want group, batch or none", c.Advantage)
	case c.EvalEvery < 0 || c.EvalUsers < 0 || c.EvalPairs < 0:
		return fmt.Errorf("popi: stage 1 EvalEvery, EvalUsers and EvalPairs must not be negative")
	}
	return nil
}

// stage1Data is the payload of a Stage-1 prompt: the target pairs its reward uses.
type stage1Data struct {
	Episode int
	Pairs   []data.PrefPair
	Persona string // the episode's ground-truth persona (diagnostics only; may be empty)
}

// Stage1Prompts builds the Stage-1 training prompts: each episode's inference prompt
// (rendered through the chat template) with its target pairs cut into chunks of
// rewardPairs, one prompt per chunk. With promptDependent each prompt holds one target pair
// and its inference prompt includes that pair's user prompt.
func Stage1Prompts(enc *prompt.ChatEncoder, p prompt.Prompting, eps []data.Episode, rewardPairs int, promptDependent bool) ([]rl.Prompt, error) {
	if rewardPairs <= 0 {
		return nil, errors.New("popi: Stage1Prompts: rewardPairs must be > 0")
	}
	var out []rl.Prompt
	for i := range eps {
		ep := &eps[i]
		sig := prompt.EpisodeSignals(ep)
		if promptDependent {
			for _, t := range ep.Targets {
				m, err := p.InferenceMessages(sig, t.Prompt)
				if err != nil {
					return nil, fmt.Errorf("popi: episode %d (user %s): %w", i, ep.UserID, err)
				}
				out = append(out, rl.Prompt{IDs: enc.Prompt(m), Text: m.User, Data: &stage1Data{Episode: i, Pairs: []data.PrefPair{t}, Persona: ep.Persona}})
			}
			continue
		}
		m, err := p.InferenceMessages(sig, "")
		if err != nil {
			return nil, fmt.Errorf("popi: episode %d (user %s): %w", i, ep.UserID, err)
		}
		ids := enc.Prompt(m)
		for s := 0; s+rewardPairs <= len(ep.Targets); s += rewardPairs {
			out = append(out, rl.Prompt{IDs: ids, Text: m.User, Data: &stage1Data{Episode: i, Pairs: ep.Targets[s : s+rewardPairs], Persona: ep.Persona}})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("popi: no Stage-1 prompts (episodes need at least %d target pairs)", rewardPairs)
	}
	return out, nil
}

// SummaryReward returns the GRPO group reward of Stage 1: for each sampled summary,
// −ℓ averaged over the prompt's target pairs, with the generator of obj frozen.
func SummaryReward(obj *Objective) rl.GroupRewardFunc { return summaryReward(obj, nil) }

// summaryReward is SummaryReward that also feeds st (when non-nil) with the step's
// diagnostics.
func summaryReward(obj *Objective, st *stage1Stats) rl.GroupRewardFunc {
	return func(ctx context.Context, p rl.Prompt, cs []rl.Completion) ([]float64, error) {
		d, ok := p.Data.(*stage1Data)
		if !ok || len(d.Pairs) == 0 {
			return nil, errors.New("popi: Stage-1 prompt without target pairs")
		}
		out := make([]float64, len(cs))
		noise := make([]float64, len(cs))
		// reward sets summary i's reward and noise from its per-pair losses.
		reward := func(i int, pairLoss []float64) {
			sum := 0.0
			for _, l := range pairLoss {
				sum += l
			}
			out[i] = -sum / float64(len(d.Pairs))
			// Standard error of the reward from the sampled pairs.
			if n := len(pairLoss); n > 1 {
				noise[i] = stdDev(pairLoss) / math.Sqrt(float64(n))
			}
		}
		if obj.Concurrent() {
			// Remote scoring: the group's summaries are scored at once (the servers
			// batch them); each result lands in its own slot, so the order is kept.
			one := func(i int) error {
				pairLoss := make([]float64, len(d.Pairs))
				for j, pp := range d.Pairs {
					l, err := obj.SummaryLoss(cs[i].Text, []data.PrefPair{pp})
					if err != nil {
						return fmt.Errorf("summary %d: %w", i, err)
					}
					pairLoss[j] = l
				}
				reward(i, pairLoss)
				return nil
			}
			errs := make([]error, len(cs))
			var wg sync.WaitGroup
			for i := range cs {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = one(i) }()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				return nil, err
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		} else {
			// Local scoring: every (summary, pair) of the group in shared passes.
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			texts := make([]string, len(cs))
			for i, c := range cs {
				texts[i] = c.Text
			}
			losses, err := obj.SummaryLosses(texts, d.Pairs)
			if err != nil {
				return nil, err
			}
			for i := range cs {
				reward(i, losses[i])
			}
		}
		if st != nil {
			st.add(d.Persona, cs, out, noise)
		}
		return out, nil
	}
}

// stage1Stats accumulates one GRPO step's summary diagnostics: attribute accuracy of the
// sampled summaries against the true persona (persona world), the fraction stating at
// least one attribute, their length, the reward spread within groups and the noise of a
// reward from its sampled target pairs.
type stage1Stats struct {
	scored, parseable, summaries, groups, corrGroups int
	acc, words, groupStd, noise, corr                float64
}

func (s *stage1Stats) add(persona string, cs []rl.Completion, rewards, noise []float64) {
	s.groups++
	s.groupStd += stdDev(rewards)
	p, perr := world.ParseSentence(persona)
	accs := make([]float64, len(cs))
	for i, c := range cs {
		s.summaries++
		s.noise += noise[i]
		s.words += float64(len(world.Words(c.Text)))
		if perr == nil {
			sc := world.ScoreSummary(p, c.Text)
			s.scored++
			s.acc += sc.Accuracy()
			accs[i] = sc.Accuracy()
			if sc.Correct+sc.Wrong > 0 {
				s.parseable++
			}
		}
	}
	if r, ok := correlation(rewards, accs); ok && perr == nil {
		s.corr += r
		s.corrGroups++
	}
}

// correlation is Pearson's r of xs and ys; ok is false when either is constant.
func correlation(xs, ys []float64) (r float64, ok bool) {
	sx, sy := stdDev(xs), stdDev(ys)
	if len(xs) != len(ys) || len(xs) < 2 || sx == 0 || sy == 0 {
		return 0, false
	}
	mx, my := 0.0, 0.0
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(ys))
	c := 0.0
	for i := range xs {
		c += (xs[i] - mx) * (ys[i] - my)
	}
	return c / float64(len(xs)) / (sx * sy), true
}

// metrics writes the means into m and resets s.
func (s *stage1Stats) metrics(m map[string]float64) {
	if s.groups > 0 {
		m["reward_group_std"] = s.groupStd / float64(s.groups)
	}
	if s.summaries > 0 {
		m["reward_pair_noise"] = s.noise / float64(s.summaries)
		m["summary_words"] = s.words / float64(s.summaries)
	}
	if s.scored > 0 {
		m["summary_acc"] = s.acc / float64(s.scored)
		m["summary_parseable"] = float64(s.parseable) / float64(s.scored)
	}
	if s.corrGroups > 0 {
		m["reward_acc_corr"] = s.corr / float64(s.corrGroups)
	}
	*s = stage1Stats{}
}

// stdDev is the population standard deviation of xs.
func stdDev(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	return math.Sqrt(v / float64(len(xs)))
}

// Stage1 holds the models of Stage 1: the trainable inference model πφ, its frozen
// reference πφ_ref and the objective with the frozen generator.
type Stage1 struct {
	Config Stage1Config
	Policy *LMPolicy // πφ (trained in place)
	Ref    *LMPolicy // πφ_ref
	Obj    *Objective
	Tok    *llama.Tokenizer
	// Eval, if set, evaluates πφ on held-out users before training, every
	// Config.EvalEvery steps and after the last step (TrainState.HeldOut).
	Eval *Stage1Eval
}

// Run trains πφ in run on fixed prompts (resuming from run's Stage-1 checkpoint when
// resume is set) and returns the final state, whose History is the reward curve.
func (s *Stage1) Run(ctx context.Context, run *Run, prompts []rl.Prompt, resume bool) (TrainState, error) {
	su, err := s.setup()
	if err != nil {
		return TrainState{}, err
	}
	ph := stage1Phase(s, su, run, prompts, resume)
	ph.Step = su.step
	return ph.run(ctx)
}

// RunSampled trains πφ on n training samples drawn per step: build turns a step's sample
// indices into its prompts (fresh episodes keyed by the step), so the same step of a
// resumed run sees the same prompts.
func (s *Stage1) RunSampled(ctx context.Context, run *Run, n int, build func(step int, idx []int) ([]rl.Prompt, error), resume bool) (TrainState, error) {
	if n <= 0 || build == nil {
		return TrainState{}, errors.New("popi: Stage1.RunSampled needs samples and a prompt builder")
	}
	su, err := s.setup()
	if err != nil {
		return TrainState{}, err
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	ph := stage1Phase(s, su, run, idx, resume)
	ph.StepAt = func(ctx context.Context, step int, batch []int, lr float64) (map[string]float64, error) {
		prompts, err := build(step, batch)
		if err != nil {
			return nil, err
		}
		return su.step(ctx, prompts, lr)
	}
	return ph.run(ctx)
}

// stage1Setup is a Stage-1 run's GRPO trainer, optimizer, sampling RNG and diagnostics.
type stage1Setup struct {
	g     *rl.GRPO
	opt   *nn.AdamW
	pcg   *rand.PCG
	stats *stage1Stats
	times *stageTimes
	s     *Stage1
	gen   int64 // the objective's GeneratorTokens before the step
	ref   int64 // and its ReferenceTokens
}

func (s *Stage1) setup() (*stage1Setup, error) {
	c := s.Config
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if s.Policy == nil || s.Ref == nil || s.Obj == nil || s.Policy.Enc == nil {
		return nil, errors.New("popi: Stage1 needs Policy (with an encoder), Ref and Obj")
	}
	alpha := c.Alpha
	if alpha < 0 {
		alpha = DefaultAlpha(s.Obj.Pref.Kind, s.Obj.Pref.Beta)
	}
	s.Policy.Temperature, s.Ref.Temperature = c.Temperature, c.Temperature
	gc := rl.DefaultGRPOConfig()
	gc.GroupSize = c.GroupSize
	gc.Alpha = alpha
	gc.MicroBatch = c.MicroBatch
	switch c.Advantage {
	case "batch":
		gc.Scale = rl.ScaleBatch
	case "none":
		gc.Scale = rl.ScaleNone
	}
	gc.Sample = rl.SampleOptions{Temperature: c.Temperature, TopP: c.TopP, MaxTokens: c.MaxTokens, StopIDs: []int{s.Policy.Enc.End}}
	opt := s.Policy.NewAdamW(c.WeightDecay)
	pcg, rng := newPCG(c.Seed, 0x57a6e1)
	stats, times := &stage1Stats{}, &stageTimes{release: s.Policy.Model.WeightBytes() >= largeBase}
	g := &rl.GRPO{Policy: timedPolicy{s.Policy, times}, Ref: timedPolicy{s.Ref, times}, Opt: timedOpt{opt, times},
		GroupReward: timedReward(summaryReward(s.Obj, stats), times), Config: gc, Rand: rng}
	return &stage1Setup{g: g, opt: opt, pcg: pcg, stats: stats, times: times, s: s, gen: s.Obj.GeneratorTokens(), ref: s.Obj.ReferenceTokens()}, nil
}

// step is one GRPO step on prompts with the step's diagnostics added.
func (su *stage1Setup) step(ctx context.Context, batch []rl.Prompt, lr float64) (map[string]float64, error) {
	m, err := su.g.LoopStep(ctx, batch, lr)
	gen, ref := su.s.Obj.GeneratorTokens(), su.s.Obj.ReferenceTokens()
	if err == nil {
		su.stats.metrics(m)
		su.times.metrics(m, su.s.Policy.Model, su.s.Obj.Gen, gen-su.gen, ref-su.ref)
	}
	su.gen, su.ref = gen, ref
	return m, err
}

// stage1Phase is the training phase of Stage 1 over data (prompts or sample indices).
func stage1Phase[T any](s *Stage1, su *stage1Setup, run *Run, items []T, resume bool) *phase[T] {
	c := s.Config
	ph := &phase[T]{
		Name: "stage1", Run: run, Model: s.Policy.Model, Tok: s.Tok, Opt: su.opt, RNG: su.pcg, Train: s.Policy.Trainable(),
		Data: items, BatchSize: min(c.BatchSize, len(items)), Steps: c.Steps, Seed: c.Seed,
		LR: rl.WarmupCosine(c.LR, c.Warmup, c.Steps), Every: c.CheckpointEvery, Resume: resume,
		HeadName: "reward",
		Headline: func(m map[string]float64) (float64, float64) { return m["reward"], m["reward_std"] },
		Record: func(m map[string]float64, r *StepRecord) {
			r.Acc, r.Len = m["summary_acc"], m["completions/mean_length"]
		},
		EvalEvery: c.EvalEvery,
		Detail: func(m map[string]float64) string {
			d := fmt.Sprintf("  group-spread %.4f pair-noise %.4f  len %.1f w", m["reward_group_std"], m["reward_pair_noise"], m["summary_words"])
			if v, ok := m["summary_acc"]; ok {
				d += fmt.Sprintf("  attr-acc %.3f parseable %.2f corr(r,acc) %+.2f", v, m["summary_parseable"], m["reward_acc_corr"])
			}
			if v, ok := m["kl"]; ok {
				d += fmt.Sprintf("  kl %.4f", v)
			}
			return d
		},
	}
	if s.Eval != nil {
		ph.Eval = func(ctx context.Context, step int) (HeldOutRecord, error) {
			return s.Eval.Evaluate(ctx, s.Policy.Model, step)
		}
	}
	return ph
}
