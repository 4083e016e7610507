package rl

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// toyPairs builds n pairs over the tabular policy's contexts: two distinct random completions
// of equal length, labelled by a hidden score table so that all pairs are jointly
// satisfiable (policy = reference + k·score ranks every pair correctly).
func toyPairs(rng *rand.Rand, p *tabularPolicy, n, length int) []PreferenceExample {
	score := make([]float64, len(p.theta))
	for i := range score {
		score[i] = rng.NormFloat64()
	}
	seqScore := func(c int, ids []int) float64 {
		s := 0.0
		for t, y := range ids {
			s += score[(c*p.pos+t)*p.vocab+y]
		}
		return s
	}
	var out []PreferenceExample
	for len(out) < n {
		c := rng.IntN(p.ctxs)
		a, b := make([]int, length), make([]int, length)
		for t := range a {
			a[t], b[t] = 1+rng.IntN(p.vocab-1), 1+rng.IntN(p.vocab-1)
		}
		sa, sb := seqScore(c, a), seqScore(c, b)
		if sa == sb {
			continue
		}
		if sa < sb {
			a, b = b, a
		}
		out = append(out, PreferenceExample{Prompt: []int{c}, Chosen: a, Rejected: b})
	}
	return out
}

// evalPreference returns the statistics of the whole pair set under the current policy.
func evalPreference(t *testing.T, cfg PreferenceConfig, pol Scorer, ex []PreferenceExample) PreferenceStats {
	t.Helper()
	lp, err := pol.Score(context.Background(), pairSequences(ex))
	if err != nil {
		t.Fatal(err)
	}
	pairs := make([]PairLogProbs, len(ex))
	for i, e := range ex {
		pairs[i] = PairLogProbs{Chosen: sumf(lp[2*i]), Rejected: sumf(lp[2*i+1]), RefChosen: e.RefChosen, RefRejected: e.RefRejected}
	}
	st, _, _, err := PreferenceBatchLoss(cfg, pairs, 1)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDPOToyAccuracy(t *testing.T) {
	for _, cfg := range []PreferenceConfig{
		{Kind: DPOLoss, Beta: 0.1}, {Kind: DPOLoss, Beta: 0.5, LabelSmoothing: 0.1}, {Kind: IPOLoss, Beta: 0.5},
	} {
		rng := rand.New(rand.NewPCG(21, 22))
		pol := newTabular(3, 4, 6)
		for i := range pol.theta {
			pol.theta[i] = rng.NormFloat64()
		}
		ref := pol.clone()
		ex := toyPairs(rng, pol, 24, 3)
		if err := PrecomputeReference(context.Background(), ref, ex, 5); err != nil {
			t.Fatal(err)
		}
		before := evalPreference(t, cfg, pol, ex)
		// Identical policy and reference: every reward is 0, accuracy 0, loss log 2 for DPO.
		if before.Accuracy != 0 || before.Margin != 0 || (cfg.Kind == DPOLoss && cfg.LabelSmoothing == 0 && math.Abs(before.Loss-math.Ln2) > 1e-15) {
			t.Fatalf("%v: initial stats %+v", cfg, before)
		}
		d := &DPO{Policy: pol, Opt: newAdam(pol.theta, pol.grad), Config: cfg, MicroBatch: 3}
		var accs []float64
		loop := &Loop[PreferenceExample]{Data: ex, BatchSize: 8, Epochs: 60, Seed: 5, LR: WarmupCosine(0.05, 10, 180),
			Step: d.LoopStep,
			OnStep: func(s StepInfo) error {
				accs = append(accs, s.Metrics["rewards/accuracies"])
				return nil
			}}
		steps, err := loop.Run(context.Background())
		if err != nil || steps != 180 {
			t.Fatalf("%v: %d steps, %v", cfg, steps, err)
		}
		after := evalPreference(t, cfg, pol, ex)
		t.Logf("%v β=%v ε=%v: loss %.4f -> %.4f, accuracy %.3f -> %.3f, margin %.3f", cfg.Kind, cfg.Beta, cfg.LabelSmoothing, before.Loss, after.Loss, before.Accuracy, after.Accuracy, after.Margin)
		if after.Accuracy != 1 || after.Loss >= before.Loss || after.Margin <= 0 {
			t.Errorf("%v: after training %+v", cfg, after)
		}
		if accs[len(accs)-1] != 1 {
			t.Errorf("%v: last step batch accuracy %v", cfg, accs[len(accs)-1])
		}
	}
}

// The DPO step's accumulated parameter gradient equals finite differences of the mean
// batch loss, whatever the micro-batch size.
func TestDPOStepGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	base := newTabular(2, 5, 5)
	for i := range base.theta {
		base.theta[i] = rng.NormFloat64()
	}
	ref := base.clone()
	for i := range ref.theta {
		ref.theta[i] += 0.5 * rng.NormFloat64()
	}
	ex := toyPairs(rng, base, 7, 4)
	ex[2].Chosen = ex[2].Chosen[:2] // unequal lengths are fine
	if err := PrecomputeReference(context.Background(), ref, ex, 0); err != nil {
		t.Fatal(err)
	}
	cfg := PreferenceConfig{Kind: DPOLoss, Beta: 0.7, LabelSmoothing: 0.05}
	var first []float64
	for _, mb := range []int{0, 2, 3} {
		pol := base.clone()
		opt := &recordingOpt{grad: pol.grad}
		d := &DPO{Policy: pol, Opt: opt, Config: cfg, MicroBatch: mb}
		st, err := d.Step(context.Background(), ex, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		full := evalPreference(t, cfg, pol, ex)
		if math.Abs(st.Loss-full.Loss) > 1e-14 || math.Abs(st.Accuracy-full.Accuracy) > 1e-15 || st.Pairs != 7 {
			t.Errorf("mb %d: step stats %+v vs full %+v", mb, st, full)
		}
		g := opt.steps[0]
		if first == nil {
			first = g
			const h = 1e-6
			worst, norm := 0.0, 0.0
			for i := range pol.theta {
				v := pol.theta[i]
				pol.theta[i] = v + h
				up := evalPreference(t, cfg, pol, ex).Loss
				pol.theta[i] = v - h
				dn := evalPreference(t, cfg, pol, ex).Loss
				pol.theta[i] = v
				worst = math.Max(worst, math.Abs((up-dn)/(2*h)-g[i]))
				norm = math.Max(norm, math.Abs(g[i]))
			}
			if worst > 1e-7*norm || norm == 0 {
				t.Errorf("DPO gradient vs finite differences: worst %g, max |grad| %g", worst, norm)
			}
			continue
		}
		for i := range g {
			if math.Abs(g[i]-first[i]) > 1e-15 {
				t.Fatalf("mb %d: gradient %d differs: %v vs %v", mb, i, g[i], first[i])
			}
		}
	}
}

func TestDPOErrors(t *testing.T) {
	ctx := context.Background()
	pol := newTabular(2, 4, 5)
	good := []PreferenceExample{{Prompt: []int{0}, Chosen: []int{1}, Rejected: []int{2}}}
	d := &DPO{Policy: pol, Opt: newAdam(pol.theta, pol.grad), Config: PreferenceConfig{Kind: DPOLoss, Beta: 0.1}}
	if _, err := d.Step(ctx, good, 0.1); err == nil {
		t.Error("missing reference log-probs accepted")
	}
	if err := PrecomputeReference(ctx, nil, good, 1); err == nil {
		t.Error("nil reference accepted")
	}
	if err := PrecomputeReference(ctx, pol.clone(), []PreferenceExample{{Prompt: []int{0}, Chosen: []int{1}}}, 1); err == nil {
		t.Error("empty rejected completion accepted")
	}
	if err := PrecomputeReference(ctx, pol.clone(), []PreferenceExample{{Prompt: []int{7}, Chosen: []int{1}, Rejected: []int{1}}}, 1); err == nil {
		t.Error("reference scoring error swallowed")
	}
	if err := PrecomputeReference(ctx, pol.clone(), good, 1); err != nil || !good[0].HasRef {
		t.Fatal(err)
	}
	want := logSoftmax(pol.row(0, 0))
	if good[0].RefChosen != want[1] || good[0].RefRejected != want[2] {
		t.Errorf("reference log-probs %v %v", good[0].RefChosen, good[0].RefRejected)
	}
	if _, err := d.Step(ctx, nil, 0.1); err == nil {
		t.Error("empty batch accepted")
	}
	if _, err := d.Step(ctx, good, math.Inf(1)); err == nil {
		t.Error("infinite learning rate accepted")
	}
	bad := *d
	bad.Config.Beta = 0
	if _, err := bad.Step(ctx, good, 0.1); err == nil {
		t.Error("beta 0 accepted")
	}
	bad = *d
	bad.Policy = badPolicy{pol, "shape"}
	if _, err := bad.Step(ctx, good, 0.1); err == nil {
		t.Error("wrong log-prob shape accepted")
	}
	bad.Policy = badPolicy{pol, "nobackward"}
	if _, err := bad.Step(ctx, good, 0.1); err == nil {
		t.Error("missing backward accepted")
	}
	bad = *d
	bad.Opt = failingOpt{}
	if _, err := bad.Step(ctx, good, 0.1); err == nil {
		t.Error("optimizer error swallowed")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Step(cctx, good, 0.1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

type failingOpt struct{}

func (failingOpt) ZeroGrad()          {}
func (failingOpt) Step(float64) error { return errors.New("optimizer failed") }
