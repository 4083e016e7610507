package rl

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// toyPrompts: two contexts with different target patterns (each ending with eos 0).
func toyPrompts() []Prompt {
	return []Prompt{
		{IDs: []int{0}, Text: "ctx0", Data: []int{3, 1, 4, 0}},
		{IDs: []int{1}, Text: "ctx1", Data: []int{2, 5, 5, 0}},
	}
}

type toyRun struct {
	stats  []GRPOStats
	policy *tabularPolicy
}

// runToyGRPO trains a fresh uniform tabular policy on toyPrompts for steps steps.
func runToyGRPO(t *testing.T, seed uint64, alpha float64, steps int, mutate func(*GRPOConfig)) toyRun {
	t.Helper()
	pol := newTabular(2, 6, 6)
	ref := pol.clone()
	cfg := DefaultGRPOConfig()
	cfg.Sample.MaxTokens = 6
	cfg.Alpha = alpha
	if mutate != nil {
		mutate(&cfg)
	}
	g := &GRPO{Policy: pol, Ref: ref, Opt: newAdam(pol.theta, pol.grad), Reward: patternReward, Config: cfg,
		Rand: rand.New(rand.NewPCG(seed, 99))}
	var run toyRun
	loop := &Loop[Prompt]{Data: toyPrompts(), BatchSize: 2, MaxSteps: steps, Seed: seed, LR: ConstantLR(0.05),
		Step: func(ctx context.Context, b []Prompt, lr float64) (map[string]float64, error) {
			st, err := g.Step(ctx, b, lr)
			run.stats = append(run.stats, st)
			return st.Map(), err
		}}
	n, err := loop.Run(context.Background())
	if err != nil || n != steps {
		t.Fatalf("run: %d steps, %v", n, err)
	}
	run.policy = pol
	return run
}

func meanOf(st []GRPOStats, f func(GRPOStats) float64) float64 {
	s := 0.0
	for _, x := range st {
		s += f(x)
	}
	return s / float64(len(st))
}

// exactKL is KL(policy || ref) per position of the toy policy, averaged over contexts and
// the target's positions (computed in closed form, independent of the sampled estimate).
func exactKL(p, ref *tabularPolicy, positions int) float64 {
	s := 0.0
	for c := 0; c < p.ctxs; c++ {
		for t := 0; t < positions; t++ {
			lp, lq := logSoftmax(p.row(c, t)), logSoftmax(ref.row(c, t))
			for k := range lp {
				s += math.Exp(lp[k]) * (lp[k] - lq[k])
			}
		}
	}
	return s / float64(p.ctxs*positions)
}

// The toy optimum is reward 1 (the exact target pattern). From a uniform policy (expected
// reward about 0.2), GRPO must reach a mean reward > 0.9 within 150 steps for every seed.
func TestGRPOToyReachesOptimum(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		run := runToyGRPO(t, seed, 0.01, 150, nil)
		first := meanOf(run.stats[:5], func(s GRPOStats) float64 { return s.RewardMean })
		last := meanOf(run.stats[140:], func(s GRPOStats) float64 { return s.RewardMean })
		if first > 0.4 || last < 0.9 {
			t.Errorf("seed %d: reward %.3f -> %.3f, want <= 0.4 -> >= 0.9", seed, first, last)
		}
		t.Logf("seed %d: reward %.3f -> %.3f", seed, first, last)
		st := run.stats[len(run.stats)-1]
		if st.Entropy >= run.stats[0].Entropy || st.Sequences != 16 || st.Tokens == 0 || st.CompletionLenMax > 6 {
			t.Errorf("seed %d: final stats %+v", seed, st)
		}
	}
}

// With alpha > 0 the KL to the (uniform) reference stays bounded; with alpha = 0 the policy
// collapses onto the target and the KL grows towards log 6 per token.
func TestGRPOKLPenalty(t *testing.T) {
	for _, seed := range []uint64{5, 6} {
		free := runToyGRPO(t, seed, 0, 150, nil)
		reg := runToyGRPO(t, seed, 0.5, 150, nil)
		ref := newTabular(2, 6, 6)
		klFree, klReg := exactKL(free.policy, ref, 4), exactKL(reg.policy, ref, 4)
		estFree := meanOf(free.stats[130:], func(s GRPOStats) float64 { return s.KLMean })
		estReg := meanOf(reg.stats[130:], func(s GRPOStats) float64 { return s.KLMean })
		maxReg := 0.0
		for _, s := range reg.stats {
			maxReg = math.Max(maxReg, s.KLMean)
		}
		t.Logf("seed %d: exact KL free %.3f reg %.3f; k3 estimate free %.3f reg %.3f (max %.3f)", seed, klFree, klReg, estFree, estReg, maxReg)
		if klFree < 1.0 || klReg > 0.5*klFree || estReg > 0.5*estFree || maxReg > 1.0 {
			t.Errorf("seed %d: KL free %.3f (est %.3f), regularised %.3f (est %.3f, max %.3f)", seed, klFree, estFree, klReg, estReg, maxReg)
		}
		if !free.stats[0].HasKL || free.stats[0].KLMean != 0 {
			t.Errorf("first-step KL to an identical reference should be 0: %+v", free.stats[0])
		}
	}
}

func TestGRPODeterministic(t *testing.T) {
	for _, agg := range []Aggregation{AggGRPO, AggDAPO, AggDrGRPO} {
		mut := func(c *GRPOConfig) { c.Aggregation = agg; c.Iterations = 2; c.MicroBatch = 5 }
		a := runToyGRPO(t, 11, 0.05, 30, mut)
		b := runToyGRPO(t, 11, 0.05, 30, mut)
		c := runToyGRPO(t, 12, 0.05, 30, mut)
		for i := range a.stats {
			if a.stats[i] != b.stats[i] {
				t.Fatalf("%v step %d: %+v != %+v", agg, i, a.stats[i], b.stats[i])
			}
		}
		same := true
		for i := range a.policy.theta {
			if math.Float64bits(a.policy.theta[i]) != math.Float64bits(b.policy.theta[i]) {
				t.Fatalf("%v: parameters differ at %d", agg, i)
			}
			same = same && a.policy.theta[i] == c.policy.theta[i]
		}
		if same {
			t.Errorf("%v: different seeds gave identical parameters", agg)
		}
	}
}

// End-to-end gradient through a policy: GRPOObjective's token gradients back-propagated by
// the toy policy match finite differences of the surrogate in parameter space, with
// ratios away from 1 (as in later mu iterations) and the KL term on.
func TestGRPOParameterGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pol := newTabular(2, 6, 6)
	for i := range pol.theta {
		pol.theta[i] = 0.5 * rng.NormFloat64()
	}
	ref := pol.clone()
	for i := range ref.theta {
		ref.theta[i] += 0.3 * rng.NormFloat64()
	}
	ctx := context.Background()
	var seqs []Sequence
	var adv []float64
	var lengths []int
	for _, p := range toyPrompts() {
		comps, _ := pol.Sample(ctx, p, 4, SampleOptions{Temperature: 1, MaxTokens: 6}, rng)
		for _, c := range comps {
			seqs = append(seqs, Sequence{Prompt: p.IDs, Completion: c.IDs})
			adv = append(adv, rng.NormFloat64())
			lengths = append(lengths, len(c.IDs))
		}
	}
	old, _ := pol.Score(ctx, seqs)
	refLP, _ := ref.Score(ctx, seqs)
	for i := range pol.theta { // the policy moved since sampling
		pol.theta[i] += 0.15 * rng.NormFloat64()
	}
	sp := SurrogateParams{EpsLow: 0.2, EpsHigh: 0.28, Alpha: 0.2}
	w, _ := TokenWeights(lengths, AggDAPO, 6)
	loss := func() float64 {
		lp, _ := pol.Score(ctx, seqs)
		r, err := GRPOObjective(lp, old, refLP, adv, w, sp)
		if err != nil {
			t.Fatal(err)
		}
		return r.Loss
	}
	lp, bw, _ := pol.LogProbs(ctx, seqs)
	res, err := GRPOObjective(lp, old, refLP, adv, w, sp)
	if err != nil {
		t.Fatal(err)
	}
	if res.RatioMax <= 1.05 {
		t.Fatalf("ratios too close to 1 for a meaningful test: max %v", res.RatioMax)
	}
	if err := bw(res.Grad); err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	worst, norm := 0.0, 0.0
	for i := range pol.theta {
		v := pol.theta[i]
		pol.theta[i] = v + h
		up := loss()
		pol.theta[i] = v - h
		dn := loss()
		pol.theta[i] = v
		fd := (up - dn) / (2 * h)
		worst = math.Max(worst, math.Abs(fd-pol.grad[i]))
		norm = math.Max(norm, math.Abs(pol.grad[i]))
	}
	t.Logf("clipped %d+%d of %d tokens; worst abs diff %.3g, max |grad| %.3g", res.ClipLow, res.ClipHigh, res.Tokens, worst, norm)
	if worst > 1e-7*norm || norm == 0 {
		t.Errorf("parameter gradient vs finite differences: worst %g (max |grad| %g)", worst, norm)
	}
}

// recordingOpt records the gradient seen at each Step without changing parameters.
type recordingOpt struct {
	grad  []float64
	steps [][]float64
}

func (o *recordingOpt) ZeroGrad() { clear(o.grad) }
func (o *recordingOpt) Step(lr float64) error {
	o.steps = append(o.steps, append([]float64(nil), o.grad...))
	return nil
}

func TestGRPOMicroBatchAndIterations(t *testing.T) {
	ctx := context.Background()
	base := newTabular(2, 6, 6)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range base.theta {
		base.theta[i] = rng.NormFloat64()
	}
	grads := map[int][][]float64{}
	for _, mb := range []int{0, 3, 7} {
		pol := base.clone()
		opt := &recordingOpt{grad: pol.grad}
		cfg := DefaultGRPOConfig()
		cfg.Sample.MaxTokens, cfg.GroupSize, cfg.MicroBatch, cfg.Iterations = 6, 5, mb, 3
		ref := &countingScorer{Scorer: base.clone()}
		g := &GRPO{Policy: pol, Ref: ref, Opt: opt, Reward: patternReward, Config: cfg, Rand: rand.New(rand.NewPCG(2, 2))}
		st, err := g.Step(ctx, toyPrompts(), 0.1)
		if err != nil {
			t.Fatal(err)
		}
		per := 1
		if mb > 0 {
			per = (10 + mb - 1) / mb
		}
		if ref.calls != per || ref.seqs != 10 { // once per batch, not per iteration
			t.Errorf("mb %d: reference scored %d times, %d sequences", mb, ref.calls, ref.seqs)
		}
		if len(opt.steps) != 3 || pol.backwardCalls != 3*per {
			t.Fatalf("mb %d: %d optimizer steps, %d backward calls", mb, len(opt.steps), pol.backwardCalls)
		}
		if st.ClipFrac != 0 { // parameters unchanged by recordingOpt: every ratio is 1
			t.Errorf("mb %d: clip fraction %v with unchanged parameters", mb, st.ClipFrac)
		}
		grads[mb] = opt.steps
	}
	for _, mb := range []int{3, 7} {
		for it := range grads[0] {
			for i, v := range grads[0][it] {
				if math.Abs(grads[mb][it][i]-v) > 1e-15 {
					t.Fatalf("micro-batch %d iteration %d: grad[%d] %v vs %v", mb, it, i, grads[mb][it][i], v)
				}
			}
		}
	}
	// With a real optimizer and mu > 1 the later iterations see ratios != 1 and clip.
	run := runToyGRPO(t, 3, 0.0, 10, func(c *GRPOConfig) { c.Iterations = 4; c.EpsLow = 0.05 })
	clipped := 0.0
	for _, s := range run.stats {
		clipped += s.ClipFrac
	}
	if clipped == 0 {
		t.Error("mu = 4 with a small clip range never clipped")
	}
}

type badPolicy struct {
	*tabularPolicy
	mode string
}

func (b badPolicy) Sample(ctx context.Context, p Prompt, n int, o SampleOptions, rng *rand.Rand) ([]Completion, error) {
	c, err := b.tabularPolicy.Sample(ctx, p, n, o, rng)
	switch b.mode {
	case "count":
		return c[:n-1], err
	case "long":
		c[0].IDs = make([]int, o.MaxTokens+1)
	case "fail":
		return nil, errors.New("boom")
	}
	return c, err
}

func (b badPolicy) LogProbs(ctx context.Context, s []Sequence) ([][]float64, Backward, error) {
	lp, bw, err := b.tabularPolicy.LogProbs(ctx, s)
	switch b.mode {
	case "shape":
		lp[0] = lp[0][:0]
	case "nobackward":
		bw = nil
	}
	return lp, bw, err
}

func TestGRPOErrors(t *testing.T) {
	ctx := context.Background()
	mk := func(mode string) *GRPO {
		pol := newTabular(2, 6, 6)
		cfg := DefaultGRPOConfig()
		cfg.Sample.MaxTokens = 6
		return &GRPO{Policy: badPolicy{pol, mode}, Ref: pol.clone(), Opt: newAdam(pol.theta, pol.grad),
			Reward: patternReward, Config: cfg, Rand: rand.New(rand.NewPCG(1, 1))}
	}
	cases := map[string]func(g *GRPO){
		"nan reward": func(g *GRPO) {
			g.Reward = func(context.Context, Prompt, Completion) (float64, error) { return math.NaN(), nil }
		},
		"inf reward": func(g *GRPO) {
			g.Reward = func(context.Context, Prompt, Completion) (float64, error) { return math.Inf(1), nil }
		},
		"reward error": func(g *GRPO) {
			g.Reward = func(context.Context, Prompt, Completion) (float64, error) { return 0, errors.New("judge down") }
		},
		"no ref":        func(g *GRPO) { g.Ref = nil },
		"no rand":       func(g *GRPO) { g.Rand = nil },
		"group 1":       func(g *GRPO) { g.Config.GroupSize = 1 },
		"mu 0":          func(g *GRPO) { g.Config.Iterations = 0 },
		"no max tokens": func(g *GRPO) { g.Config.Sample.MaxTokens = 0 },
		"top p":         func(g *GRPO) { g.Config.Sample.TopP = 1.5 },
		"eps":           func(g *GRPO) { g.Config.EpsLow = 0 },
		"agg":           func(g *GRPO) { g.Config.Aggregation = Aggregation(-1) },
		"scale":         func(g *GRPO) { g.Config.Scale = AdvantageScale(-1) },
		"count":         func(g *GRPO) { g.Policy = badPolicy{g.Policy.(badPolicy).tabularPolicy, "count"} },
		"long":          func(g *GRPO) { g.Policy = badPolicy{g.Policy.(badPolicy).tabularPolicy, "long"} },
		"fail":          func(g *GRPO) { g.Policy = badPolicy{g.Policy.(badPolicy).tabularPolicy, "fail"} },
		"shape":         func(g *GRPO) { g.Policy = badPolicy{g.Policy.(badPolicy).tabularPolicy, "shape"} },
		"nobackward":    func(g *GRPO) { g.Policy = badPolicy{g.Policy.(badPolicy).tabularPolicy, "nobackward"} },
		"bad prompt":    func(g *GRPO) {},
	}
	for name, mut := range cases {
		g := mk("")
		mut(g)
		prompts := toyPrompts()
		if name == "bad prompt" {
			prompts[1].IDs = []int{9}
		}
		_, err := g.Step(ctx, prompts, 0.1)
		t.Logf("%s: %v", name, err)
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "nan reward" && !strings.Contains(err.Error(), "NaN") {
			t.Errorf("nan reward error does not say so: %v", err)
		}
	}
	g := mk("")
	if _, err := g.Step(ctx, nil, 0.1); err == nil {
		t.Error("empty batch accepted")
	}
	if _, err := g.Step(ctx, toyPrompts(), math.NaN()); err == nil {
		t.Error("NaN learning rate accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.Step(cctx, toyPrompts(), 0.1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestGRPOGroupReward(t *testing.T) {
	ctx := context.Background()
	mk := func() *GRPO {
		pol := newTabular(2, 6, 6)
		cfg := DefaultGRPOConfig()
		cfg.Sample.MaxTokens = 6
		return &GRPO{Policy: pol, Ref: pol.clone(), Opt: newAdam(pol.theta, pol.grad), Config: cfg, Rand: rand.New(rand.NewPCG(4, 4))}
	}
	a := mk()
	a.Reward = patternReward
	b := mk()
	calls := 0
	b.GroupReward = func(ctx context.Context, p Prompt, cs []Completion) ([]float64, error) {
		calls++
		out := make([]float64, len(cs))
		for i, c := range cs {
			out[i], _ = patternReward(ctx, p, c)
		}
		return out, nil
	}
	for step := 0; step < 3; step++ {
		sa, err := a.Step(ctx, toyPrompts(), 0.05)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := b.Step(ctx, toyPrompts(), 0.05)
		if err != nil {
			t.Fatal(err)
		}
		if sa != sb {
			t.Fatalf("step %d: per-completion %+v vs group %+v", step, sa, sb)
		}
	}
	if calls != 6 {
		t.Errorf("group reward called %d times, want 6", calls)
	}
	b.GroupReward = func(context.Context, Prompt, []Completion) ([]float64, error) { return []float64{1}, nil }
	if _, err := b.Step(ctx, toyPrompts(), 0.05); err == nil {
		t.Error("wrong reward count accepted")
	}
	b.GroupReward = func(_ context.Context, _ Prompt, cs []Completion) ([]float64, error) {
		r := make([]float64, len(cs))
		r[3] = math.Inf(-1)
		return r, nil
	}
	if _, err := b.Step(ctx, toyPrompts(), 0.05); err == nil || !strings.Contains(err.Error(), "completion 3") {
		t.Errorf("infinite group reward: %v", err)
	}
	b.Reward = patternReward
	if _, err := b.Step(ctx, toyPrompts(), 0.05); err == nil {
		t.Error("both reward functions accepted")
	}
}

type countingScorer struct {
	Scorer
	calls, seqs int
	prev        [][]float64
}

// Score counts calls and, as the Scorer contract allows, clobbers the rows it returned on
// the previous call (as a reused buffer would), so a trainer that kept them uncopied
// computes wrong KL terms.
func (c *countingScorer) Score(ctx context.Context, b []Sequence) ([][]float64, error) {
	c.calls++
	c.seqs += len(b)
	for _, row := range c.prev {
		clear(row)
	}
	lp, err := c.Scorer.Score(ctx, b)
	c.prev = lp
	return lp, err
}
