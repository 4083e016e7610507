package rl

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// MeanLogProbs (TRL's loss_type="ipo") averages each sequence log-prob over its tokens: the
// loss equals IPO on the means, and the derivatives with respect to the summed log-probs
// match finite differences of that loss.
func TestPreferenceMeanLogProbs(t *testing.T) {
	cfg := PreferenceConfig{Kind: IPOLoss, Beta: 0.1, MeanLogProbs: true}
	p := PairLogProbs{Chosen: -30, Rejected: -45, RefChosen: -33, RefRejected: -40}
	n := PairTokens{Chosen: 10, Rejected: 15}
	r, err := PreferenceLossTokens(cfg, p, n)
	if err != nil {
		t.Fatal(err)
	}
	h := (-30.0+33)/10 - (-45.0+40)/15 // 0.3 + 1/3
	want := (h - 1/(2*0.1)) * (h - 1/(2*0.1))
	if math.Abs(r.Loss-want) > 1e-12 || math.Abs(r.H-h) > 1e-12 {
		t.Fatalf("loss %v h %v, want %v %v", r.Loss, r.H, want, h)
	}
	const eps = 1e-6
	loss := func(q PairLogProbs) float64 {
		v, err := PreferenceLossTokens(cfg, q, n)
		if err != nil {
			t.Fatal(err)
		}
		return v.Loss
	}
	up, dn := p, p
	up.Chosen += eps
	dn.Chosen -= eps
	if fd := (loss(up) - loss(dn)) / (2 * eps); math.Abs(fd-r.DChosen) > 1e-6 {
		t.Errorf("dChosen %v, finite difference %v", r.DChosen, fd)
	}
	up, dn = p, p
	up.Rejected += eps
	dn.Rejected -= eps
	if fd := (loss(up) - loss(dn)) / (2 * eps); math.Abs(fd-r.DRejected) > 1e-6 {
		t.Errorf("dRejected %v, finite difference %v", r.DRejected, fd)
	}
	// The summed form (the paper's Eq. 2) differs, and refuses to guess counts.
	sum, _ := PreferenceLoss(PreferenceConfig{Kind: IPOLoss, Beta: 0.1}, p)
	if sum.Loss == r.Loss {
		t.Fatal("mean and summed IPO agree on unequal lengths")
	}
	if _, err := PreferenceLoss(cfg, p); err == nil {
		t.Fatal("MeanLogProbs without token counts accepted")
	}
	if _, err := PreferenceLossTokens(cfg, p, PairTokens{Chosen: 0, Rejected: 3}); err == nil {
		t.Fatal("zero token count accepted")
	}
	if _, _, _, err := PreferenceBatchLoss(cfg, []PairLogProbs{p}, 1); err == nil {
		t.Fatal("batch loss without token counts accepted")
	}
	st, dc, _, err := PreferenceBatchLossTokens(cfg, []PairLogProbs{p, p}, []PairTokens{n, n}, 1)
	if err != nil || math.Abs(st.Loss-want) > 1e-12 || math.Abs(dc[0]-r.DChosen/2) > 1e-15 {
		t.Fatalf("batch: %+v %v %v", st, dc, err)
	}
}

// entropyTabular is the toy policy with its exact per-position entropy.
type entropyTabular struct{ *tabularPolicy }

func (p entropyTabular) Entropies(ctx context.Context, batch []Sequence) ([][]float64, error) {
	out := make([][]float64, len(batch))
	for i, s := range batch {
		c, err := p.context(s.Prompt)
		if err != nil {
			return nil, err
		}
		out[i] = make([]float64, len(s.Completion))
		for t := range s.Completion {
			for _, l := range logSoftmax(p.row(c, t)) {
				out[i][t] -= math.Exp(l) * l
			}
		}
	}
	return out, nil
}

// With an EntropyScorer policy the step's entropy is the exact one from the logits (log 6
// per token for the uniform toy policy), not the sampled -log p estimate; groups with equal
// rewards are reported as a fraction.
func TestGRPOEntropyFromLogitsAndZeroStdFraction(t *testing.T) {
	pol := newTabular(2, 6, 6)
	ref := pol.clone()
	cfg := DefaultGRPOConfig()
	cfg.Sample.MaxTokens = 6
	cfg.GroupSize = 4
	g := &GRPO{Policy: entropyTabular{pol}, Ref: ref, Opt: newAdam(pol.theta, pol.grad), Config: cfg,
		Rand: rand.New(rand.NewPCG(1, 2)),
		GroupReward: func(_ context.Context, p Prompt, cs []Completion) ([]float64, error) {
			r := make([]float64, len(cs))
			if p.IDs[0] == 1 { // the second prompt's group varies, the first's does not
				for i := range r {
					r[i] = float64(i)
				}
			}
			return r, nil
		}}
	st, err := g.Step(context.Background(), []Prompt{{IDs: []int{0}}, {IDs: []int{1}}}, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if !st.EntropyFromLogits || math.Abs(st.Entropy-math.Log(6)) > 1e-12 {
		t.Fatalf("entropy %v (from logits %v), want log 6", st.Entropy, st.EntropyFromLogits)
	}
	if f := st.Map()["frac_reward_zero_std"]; f != 0.5 {
		t.Fatalf("frac_reward_zero_std %v, want 0.5", f)
	}
	// Without the interface the entropy is the sampled estimate, which differs.
	g.Policy = pol.clone()
	g.Opt = newAdam(g.Policy.(*tabularPolicy).theta, g.Policy.(*tabularPolicy).grad)
	st2, err := g.Step(context.Background(), []Prompt{{IDs: []int{0}}}, 0)
	if err != nil || st2.EntropyFromLogits || st2.Entropy <= 0 {
		t.Fatalf("sampled estimate: %+v %v", st2, err)
	}
}
