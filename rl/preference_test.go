package rl

import (
	"math"
	"testing"
)

// Golden values copied from /work/shared/testdata/tiny-llama3/dpo.json (float64 PyTorch run,
// policy = model.safetensors, reference = ref/model.safetensors, beta 0.1).
var goldenDPO = struct {
	beta                         float64
	pc, pr, rc, rr               float64
	h, dpo, ipo, dDPOdh, dIPOdh  float64
	chosenReward, rejectedReward float64
	margin                       float64
	chosenTokens, rejectedTokens []float64
}{
	beta: 0.1,
	pc:   -84.42838935653063, pr: -112.09252752839113,
	rc: -82.25999890988177, rr: -115.67389747366445,
	h: -5.74976039192218, dpo: 1.02140287722947, ipo: 115.5573484837389,
	dDPOdh: -0.06399105755863713, dIPOdh: -21.49952078384436,
	chosenReward: -0.2168390446648857, rejectedReward: 0.35813699452733233,
	margin: -0.5749760391922181,
	chosenTokens: []float64{-6.565846444301971, -7.2248203961870505, -6.879264792109492, -6.789548873434282,
		-6.892165094818623, -10.053094294988261, -6.7062443394204845, -6.755489028922447, -6.56037653254228,
		-6.448134320370951, -6.781313089878339, -6.772092149556445},
	rejectedTokens: []float64{-6.565846444301972, -7.145025488507501, -6.362957252884399, -6.564368388730706,
		-6.541136111076156, -6.70836903469718, -4.152050779161686, -10.081242952294355, -6.39294675977901,
		-6.257166918423204, -6.210118312202427, -6.377130615416998, -6.439254103637323, -6.7354587379102515,
		-6.512077472401579, -6.464916039748378, -6.582462117218007},
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestPreferenceGolden(t *testing.T) {
	g := goldenDPO
	// Sequence log-prob = sum of the per-token log-probs.
	if s := sumf(g.chosenTokens); !relClose(s, g.pc, 1e-13) {
		t.Fatalf("chosen token sum %v, want %v", s, g.pc)
	}
	if s := sumf(g.rejectedTokens); !relClose(s, g.pr, 1e-13) {
		t.Fatalf("rejected token sum %v, want %v", s, g.pr)
	}
	p := PairLogProbs{Chosen: g.pc, Rejected: g.pr, RefChosen: g.rc, RefRejected: g.rr}
	d, err := PreferenceLoss(PreferenceConfig{Kind: DPOLoss, Beta: g.beta}, p)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"h", d.H, g.h}, {"dpo loss", d.Loss, g.dpo}, {"dDPO/dh", d.DH, g.dDPOdh},
		{"dDPO/dpc", d.DChosen, g.dDPOdh}, {"dDPO/dpr", d.DRejected, -g.dDPOdh},
		{"rewards/chosen", d.ChosenReward, g.chosenReward},
		{"rewards/rejected", d.RejectedReward, g.rejectedReward},
		{"rewards/margins", d.Margin, g.margin},
	}
	ip, err := PreferenceLoss(PreferenceConfig{Kind: IPOLoss, Beta: g.beta}, p)
	if err != nil {
		t.Fatal(err)
	}
	checks = append(checks, []struct {
		name      string
		got, want float64
	}{{"ipo loss", ip.Loss, g.ipo}, {"dIPO/dh", ip.DH, g.dIPOdh}, {"dIPO/dpr", ip.DRejected, -g.dIPOdh}}...)
	for _, c := range checks {
		if !relClose(c.got, c.want, 1e-12) {
			t.Errorf("%s = %.17g, golden %.17g", c.name, c.got, c.want)
		}
	}
	if d.Correct {
		t.Errorf("golden pair has chosen reward < rejected reward, got Correct")
	}
}

func sumf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// Hand-computed values: h = 2, beta = 0.5 -> z = 1.
func TestPreferenceHand(t *testing.T) {
	p := PairLogProbs{Chosen: -1, Rejected: -3, RefChosen: -2, RefRejected: -2} // h = 1 - (-1) = 2
	r, _ := PreferenceLoss(PreferenceConfig{Kind: DPOLoss, Beta: 0.5}, p)
	wantLoss := math.Log(1 + math.Exp(-1))
	wantDH := -0.5 / (1 + math.E)
	if !relClose(r.Loss, wantLoss, 1e-15) || !relClose(r.DH, wantDH, 1e-15) || !r.Correct {
		t.Errorf("dpo: %+v, want loss %v dh %v", r, wantLoss, wantDH)
	}
	r, _ = PreferenceLoss(PreferenceConfig{Kind: DPOLoss, Beta: 0.5, LabelSmoothing: 0.25}, p)
	wantLoss = 0.75*math.Log(1+math.Exp(-1)) + 0.25*math.Log(1+math.E)
	wantDH = 0.5 * (-0.75/(1+math.E) + 0.25/(1+math.Exp(-1)))
	if !relClose(r.Loss, wantLoss, 1e-15) || !relClose(r.DH, wantDH, 1e-15) {
		t.Errorf("cdpo: %+v, want loss %v dh %v", r, wantLoss, wantDH)
	}
	r, _ = PreferenceLoss(PreferenceConfig{Kind: IPOLoss, Beta: 0.5}, p) // (2 - 1)^2
	if r.Loss != 1 || r.DH != 2 || r.DChosen != 2 || r.DRejected != -2 {
		t.Errorf("ipo: %+v", r)
	}
	// Equal rewards are not "correct" (strict inequality, as TRL).
	r, _ = PreferenceLoss(PreferenceConfig{Kind: DPOLoss, Beta: 0.5}, PairLogProbs{-1, -1, -1, -1})
	if r.Correct || !relClose(r.Loss, math.Ln2, 1e-15) {
		t.Errorf("tie: %+v", r)
	}
}

func TestPreferenceStableExtremes(t *testing.T) {
	for _, h := range []float64{-1e6, -800, 800, 1e6} {
		p := PairLogProbs{Chosen: h, Rejected: 0}
		r, err := PreferenceLoss(PreferenceConfig{Kind: DPOLoss, Beta: 1, LabelSmoothing: 0.1}, p)
		if err != nil {
			t.Fatalf("h=%v: %v", h, err)
		}
		// For large |z| the loss is asymptotically linear: softplus(x) ≈ max(x, 0).
		want := 0.9*math.Max(-h, 0) + 0.1*math.Max(h, 0)
		if !relClose(r.Loss, want, 1e-12) {
			t.Errorf("h=%v: loss %v want %v", h, r.Loss, want)
		}
		wantDH := -0.9
		if h > 0 {
			wantDH = 0.1
		}
		if !relClose(r.DH, wantDH, 1e-12) {
			t.Errorf("h=%v: dh %v want %v", h, r.DH, wantDH)
		}
	}
	if r, _ := PreferenceLoss(PreferenceConfig{Kind: DPOLoss, Beta: 1}, PairLogProbs{Chosen: 50}); r.Loss <= 0 || r.Loss > 2e-22 {
		t.Errorf("softplus(-50) lost precision: %v", r.Loss)
	}
}

func TestPreferenceFiniteDifference(t *testing.T) {
	cfgs := []PreferenceConfig{
		{Kind: DPOLoss, Beta: 0.1}, {Kind: DPOLoss, Beta: 2, LabelSmoothing: 0.2}, {Kind: IPOLoss, Beta: 0.3},
	}
	pairs := []PairLogProbs{{-10, -12, -11, -11.5}, {-3, -1, -2.5, -2}, {-40, -41, -39, -45}}
	for _, cfg := range cfgs {
		for _, p := range pairs {
			r, err := PreferenceLoss(cfg, p)
			if err != nil {
				t.Fatal(err)
			}
			const step = 1e-5
			f := func(c, rj float64) float64 {
				q := p
				q.Chosen, q.Rejected = c, rj
				v, _ := PreferenceLoss(cfg, q)
				return v.Loss
			}
			fdC := (f(p.Chosen+step, p.Rejected) - f(p.Chosen-step, p.Rejected)) / (2 * step)
			fdR := (f(p.Chosen, p.Rejected+step) - f(p.Chosen, p.Rejected-step)) / (2 * step)
			if math.Abs(fdC-r.DChosen) > 1e-7*math.Max(1, math.Abs(r.DChosen)) ||
				math.Abs(fdR-r.DRejected) > 1e-7*math.Max(1, math.Abs(r.DRejected)) {
				t.Errorf("%v %+v: analytic (%v,%v) vs fd (%v,%v)", cfg, p, r.DChosen, r.DRejected, fdC, fdR)
			}
		}
	}
}

func TestPreferenceBatch(t *testing.T) {
	cfg := PreferenceConfig{Kind: DPOLoss, Beta: 0.5}
	pairs := []PairLogProbs{{-1, -3, -2, -2}, {-4, -1, -2, -2}, {-2, -2, -2, -2}}
	st, dc, dr, err := PreferenceBatchLoss(cfg, pairs, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	for i, p := range pairs {
		r, _ := PreferenceLoss(cfg, p)
		loss += r.Loss / 3
		if !relClose(dc[i], r.DChosen*0.5/3, 1e-15) || !relClose(dr[i], r.DRejected*0.5/3, 1e-15) {
			t.Errorf("pair %d grads %v %v", i, dc[i], dr[i])
		}
	}
	if !relClose(st.Loss, loss, 1e-15) || st.Accuracy != 1.0/3 || st.Pairs != 3 {
		t.Errorf("stats %+v, loss want %v", st, loss)
	}
	if !relClose(st.Margin, st.ChosenReward-st.RejectedReward, 1e-15) {
		t.Errorf("margin %v != %v - %v", st.Margin, st.ChosenReward, st.RejectedReward)
	}
}

func TestPreferenceErrors(t *testing.T) {
	bad := []PreferenceConfig{
		{Kind: DPOLoss, Beta: 0}, {Kind: DPOLoss, Beta: math.NaN()}, {Kind: DPOLoss, Beta: math.Inf(1)},
		{Kind: DPOLoss, Beta: 1, LabelSmoothing: 0.5}, {Kind: DPOLoss, Beta: 1, LabelSmoothing: -0.1},
		{Kind: IPOLoss, Beta: 1, LabelSmoothing: 0.1}, {Kind: PreferenceKind(7), Beta: 1},
	}
	for _, c := range bad {
		if _, err := PreferenceLoss(c, PairLogProbs{}); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	ok := PreferenceConfig{Kind: DPOLoss, Beta: 1}
	for _, p := range []PairLogProbs{{Chosen: math.NaN()}, {RefRejected: math.Inf(-1)}} {
		if _, err := PreferenceLoss(ok, p); err == nil {
			t.Errorf("pair %+v accepted", p)
		}
	}
	if _, _, _, err := PreferenceBatchLoss(ok, nil, 1); err == nil {
		t.Error("empty batch accepted")
	}
	if _, err := PreferenceLoss(PreferenceConfig{Kind: IPOLoss, Beta: 1e-300}, PairLogProbs{}); err == nil {
		t.Error("IPO overflow not reported")
	}
}

func TestKLk3(t *testing.T) {
	// Hand values: ref - lp = 1 -> e - 2; derivative 1 - e.
	k, dk := KLk3(-2, -1)
	if !relClose(k, math.E-2, 1e-15) || !relClose(dk, 1-math.E, 1e-15) {
		t.Errorf("k3(-2,-1) = %v, %v", k, dk)
	}
	k, dk = KLk3(-1, -1)
	if k != 0 || dk != 0 {
		t.Errorf("k3 at equality = %v, %v", k, dk)
	}
	// Small differences: k ≈ d²/2 with full relative precision.
	d := math.Ldexp(1, -30) // exactly representable offset
	k, _ = KLk3(-1, -1+d)
	if want := d*d/2 + d*d*d/6; math.Abs(k-want) > 1e-15*want {
		t.Errorf("k3 small diff %v", k)
	}
	for _, c := range [][2]float64{{-0.3, -2}, {-5, -0.1}, {-1, -1.2}} {
		k, dk := KLk3(c[0], c[1])
		if k < 0 {
			t.Errorf("k3 negative %v", k)
		}
		const h = 1e-6
		kp, _ := KLk3(c[0]+h, c[1])
		km, _ := KLk3(c[0]-h, c[1])
		if fd := (kp - km) / (2 * h); math.Abs(fd-dk) > 1e-8*math.Max(1, math.Abs(dk)) {
			t.Errorf("k3 grad at %v: %v vs fd %v", c, dk, fd)
		}
	}
}
