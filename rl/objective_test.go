package rl

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestTokenWeights(t *testing.T) {
	lengths := []int{2, 4, 0}
	w, err := TokenWeights(lengths, AggGRPO, 8)
	if err != nil || w[0] != 1.0/6 || w[1] != 1.0/12 || w[2] != 0 {
		t.Errorf("grpo weights %v %v", w, err)
	}
	w, err = TokenWeights(lengths, AggDAPO, 8)
	if err != nil || w[0] != 1.0/6 || w[1] != 1.0/6 || w[2] != 1.0/6 {
		t.Errorf("dapo weights %v %v", w, err)
	}
	w, err = TokenWeights(lengths, AggDrGRPO, 8)
	if err != nil || w[0] != 1.0/24 || w[1] != 1.0/24 {
		t.Errorf("dr_grpo weights %v %v", w, err)
	}
	// All-ones per-token loss: grpo and dapo give 1 (2/3 for grpo, the empty sequence
	// counting as a zero), dr_grpo gives (total tokens)/(n * maxLen).
	for _, c := range []struct {
		agg  Aggregation
		want float64
	}{{AggGRPO, 2.0 / 3}, {AggDAPO, 1}, {AggDrGRPO, 6.0 / 24}} {
		w, _ := TokenWeights(lengths, c.agg, 8)
		s := 0.0
		for i, n := range lengths {
			s += w[i] * float64(n)
		}
		if math.Abs(s-c.want) > 1e-15 {
			t.Errorf("%v: total weight %v, want %v", c.agg, s, c.want)
		}
	}
	bad := []struct {
		l   []int
		agg Aggregation
		max int
	}{{nil, AggGRPO, 1}, {[]int{-1}, AggGRPO, 1}, {[]int{3}, AggDrGRPO, 2}, {[]int{1}, AggDrGRPO, 0}, {[]int{1}, Aggregation(9), 1}}
	for _, b := range bad {
		if _, err := TokenWeights(b.l, b.agg, b.max); err == nil {
			t.Errorf("accepted %+v", b)
		}
	}
	if w, err := TokenWeights([]int{0, 0}, AggDAPO, 1); err != nil || w[0] != 0 {
		t.Errorf("all-empty dapo: %v %v", w, err)
	}
}

// One token, weight 1, hand-computed branches of -min(ρA, clip(ρ)A).
func TestSurrogateHand(t *testing.T) {
	p := SurrogateParams{EpsLow: 0.2, EpsHigh: 0.3}
	cases := []struct {
		name              string
		ratio, adv        float64
		loss, grad        float64
		clipLow, clipHigh int
	}{
		{"inside A>0", 1.1, 2, -2.2, -2.2, 0, 0},
		{"inside A<0", 0.9, -1, 0.9, 0.9, 0, 0},
		{"above A>0 clipped", 1.5, 2, -2.6, 0, 0, 1},
		{"above A<0 flows", 1.5, -1, 1.5, 1.5, 0, 0},
		{"below A<0 clipped", 0.5, -1, 0.8, 0, 1, 0},
		{"below A>0 flows", 0.5, 2, -1, -1, 0, 0},
		{"A=0", 3, 0, 0, 0, 0, 0},
	}
	for _, c := range cases {
		old := -2.0
		lp := old + math.Log(c.ratio)
		r, err := GRPOObjective([][]float64{{lp}}, [][]float64{{old}}, nil, []float64{c.adv}, []float64{1}, p)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Loss-c.loss) > 1e-12 || math.Abs(r.Grad[0][0]-c.grad) > 1e-12 || r.ClipLow != c.clipLow || r.ClipHigh != c.clipHigh {
			t.Errorf("%s: loss %v grad %v clip %d/%d; want %v %v %d/%d", c.name, r.Loss, r.Grad[0][0], r.ClipLow, r.ClipHigh, c.loss, c.grad, c.clipLow, c.clipHigh)
		}
	}
	// KL term: lp = -2, ref = -1, alpha 0.5, ratio 1 (mu = 1): loss = -A + α(e - 2),
	// grad = -A + α(1 - e).
	p.Alpha = 0.5
	r, err := GRPOObjective([][]float64{{-2}}, [][]float64{{-2}}, [][]float64{{-1}}, []float64{0.7}, []float64{0.25}, p)
	if err != nil {
		t.Fatal(err)
	}
	wantLoss := 0.25 * (-0.7 + 0.5*(math.E-2))
	wantGrad := 0.25 * (-0.7 + 0.5*(1-math.E))
	if math.Abs(r.Loss-wantLoss) > 1e-15 || math.Abs(r.Grad[0][0]-wantGrad) > 1e-15 || !r.HasKL || math.Abs(r.KLSum-(math.E-2)) > 1e-15 {
		t.Errorf("kl case: %+v, want loss %v grad %v", r, wantLoss, wantGrad)
	}
	if r.NegLogProbSum != 2 || r.Tokens != 1 || r.RatioMax != 1 {
		t.Errorf("stats %+v", r)
	}
}

// randomBatch builds log-probs whose ratios spread over and beyond the clip range but stay
// away from the kinks at 1-EpsLow and 1+EpsHigh, where the surrogate is not differentiable.
func randomBatch(rng *rand.Rand, n, maxLen int, p SurrogateParams) (lp, old, ref [][]float64, adv []float64, lengths []int) {
	for i := 0; i < n; i++ {
		T := 1 + rng.IntN(maxLen)
		a, b, c := make([]float64, T), make([]float64, T), make([]float64, T)
		for t := range a {
			b[t] = -0.05 - 3*rng.Float64()
			for {
				d := 0.8 * (rng.Float64() - 0.5)
				r := math.Exp(d)
				if math.Abs(r-(1-p.EpsLow)) > 1e-3 && math.Abs(r-(1+p.EpsHigh)) > 1e-3 && b[t]+d < 0 {
					a[t] = b[t] + d
					break
				}
			}
			c[t] = -0.05 - 3*rng.Float64()
		}
		lp, old, ref = append(lp, a), append(old, b), append(ref, c)
		adv = append(adv, 2*rng.NormFloat64())
		lengths = append(lengths, T)
	}
	return
}

func TestGRPOObjectiveFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := SurrogateParams{EpsLow: 0.1, EpsHigh: 0.15, Alpha: 0.3}
	for _, agg := range []Aggregation{AggGRPO, AggDAPO, AggDrGRPO} {
		lp, old, ref, adv, lengths := randomBatch(rng, 6, 7, p)
		w, err := TokenWeights(lengths, agg, 7)
		if err != nil {
			t.Fatal(err)
		}
		res, err := GRPOObjective(lp, old, ref, adv, w, p)
		if err != nil {
			t.Fatal(err)
		}
		if res.ClipLow == 0 || res.ClipHigh == 0 {
			t.Fatalf("%v: test data does not exercise both clips (%d, %d)", agg, res.ClipLow, res.ClipHigh)
		}
		const h = 1e-6
		worst := 0.0
		for i := range lp {
			for k := range lp[i] {
				v := lp[i][k]
				lp[i][k] = v + h
				up, _ := GRPOObjective(lp, old, ref, adv, w, p)
				lp[i][k] = v - h
				dn, _ := GRPOObjective(lp, old, ref, adv, w, p)
				lp[i][k] = v
				fd := (up.Loss - dn.Loss) / (2 * h)
				worst = math.Max(worst, math.Abs(fd-res.Grad[i][k]))
			}
		}
		if worst > 1e-9 {
			t.Errorf("%v: worst |analytic - fd| = %g", agg, worst)
		}
		// The loss is the weighted sum of independent per-sequence terms: splitting the
		// batch into micro-batches reproduces loss, gradient and statistics.
		var sum ObjectiveResult
		for s := 0; s < len(lp); s += 4 {
			e := min(s+4, len(lp))
			part, err := GRPOObjective(lp[s:e], old[s:e], ref[s:e], adv[s:e], w[s:e], p)
			if err != nil {
				t.Fatal(err)
			}
			for i := range part.Grad {
				for k := range part.Grad[i] {
					if part.Grad[i][k] != res.Grad[s+i][k] {
						t.Fatalf("micro-batch gradient differs at %d,%d", s+i, k)
					}
				}
			}
			sum.Add(part)
		}
		if math.Abs(sum.Loss-res.Loss) > 1e-14 || sum.Tokens != res.Tokens || sum.ClipLow != res.ClipLow ||
			math.Abs(sum.KLSum-res.KLSum) > 1e-13 {
			t.Errorf("micro-batched stats %+v vs %+v", sum, res)
		}
	}
}

// At ratio 1 (mu = 1) nothing is clipped and the gradient is w(-A + α(1 - e^{ref-lp})).
func TestGRPOObjectiveRatioOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := SurrogateParams{EpsLow: 0.2, EpsHigh: 0.2, Alpha: 0.1}
	lp, _, ref, adv, lengths := randomBatch(rng, 5, 6, p)
	w, _ := TokenWeights(lengths, AggGRPO, 6)
	res, err := GRPOObjective(lp, lp, ref, adv, w, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.ClipLow+res.ClipHigh != 0 || res.RatioMax != 1 {
		t.Fatalf("clipping at ratio 1: %+v", res)
	}
	for i := range lp {
		for k := range lp[i] {
			want := w[i] * (-adv[i] + p.Alpha*(1-math.Exp(ref[i][k]-lp[i][k])))
			if math.Abs(res.Grad[i][k]-want) > 1e-15 {
				t.Errorf("grad[%d][%d] = %v want %v", i, k, res.Grad[i][k], want)
			}
		}
	}
	// Policy-gradient part of the loss is -mean(A) over sequences under grpo aggregation.
	res0, _ := GRPOObjective(lp, lp, nil, adv, w, SurrogateParams{EpsLow: 0.2, EpsHigh: 0.2})
	if m, _ := meanStd(adv); math.Abs(res0.Loss+m) > 1e-14 {
		t.Errorf("loss %v, want %v", res0.Loss, -m)
	}
	if res0.HasKL {
		t.Error("KL reported without reference")
	}
}

func TestGRPOObjectiveErrors(t *testing.T) {
	ok := SurrogateParams{EpsLow: 0.2, EpsHigh: 0.2}
	one := [][]float64{{-1}}
	cases := []struct {
		name         string
		lp, old, ref [][]float64
		adv, w       []float64
		p            SurrogateParams
	}{
		{"eps low 0", one, one, nil, []float64{1}, []float64{1}, SurrogateParams{EpsHigh: 0.2}},
		{"eps low 1", one, one, nil, []float64{1}, []float64{1}, SurrogateParams{EpsLow: 1, EpsHigh: 0.2}},
		{"eps high inf", one, one, nil, []float64{1}, []float64{1}, SurrogateParams{EpsLow: 0.2, EpsHigh: math.Inf(1)}},
		{"alpha<0", one, one, nil, []float64{1}, []float64{1}, SurrogateParams{EpsLow: 0.2, EpsHigh: 0.2, Alpha: -1}},
		{"alpha without ref", one, one, nil, []float64{1}, []float64{1}, SurrogateParams{EpsLow: 0.2, EpsHigh: 0.2, Alpha: 1}},
		{"rows", one, [][]float64{{-1}, {-1}}, nil, []float64{1}, []float64{1}, ok},
		{"tokens", one, [][]float64{{-1, -1}}, nil, []float64{1}, []float64{1}, ok},
		{"ref tokens", one, one, [][]float64{{}}, []float64{1}, []float64{1}, ok},
		{"nan lp", [][]float64{{math.NaN()}}, one, nil, []float64{1}, []float64{1}, ok},
		{"positive lp", [][]float64{{0.5}}, one, nil, []float64{1}, []float64{1}, ok},
		{"inf old", one, [][]float64{{math.Inf(-1)}}, nil, []float64{1}, []float64{1}, ok},
		{"nan adv", one, one, nil, []float64{math.NaN()}, []float64{1}, ok},
		{"neg weight", one, one, nil, []float64{1}, []float64{-1}, ok},
		{"kl overflow", [][]float64{{-800}}, [][]float64{{-800}}, [][]float64{{0}}, []float64{1}, []float64{1}, ok},
		// Loss -A + α e^700 is finite, gradient -A - α e^700 is not.
		{"gradient overflow", [][]float64{{-700}}, [][]float64{{-700}}, [][]float64{{0}}, []float64{1e308}, []float64{1}, SurrogateParams{EpsLow: 0.2, EpsHigh: 0.2, Alpha: 1e308 / math.Exp(700)}},
		{"ratio overflow", [][]float64{{0}}, [][]float64{{-800}}, nil, []float64{-1}, []float64{1}, ok},
	}
	for _, c := range cases {
		_, err := GRPOObjective(c.lp, c.old, c.ref, c.adv, c.w, c.p)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if c.name == "gradient overflow" && !strings.Contains(err.Error(), "gradient overflows") {
			t.Errorf("%s: wrong error %v", c.name, err)
		}
	}
}

func TestAdvantages(t *testing.T) {
	const eps = 1e-4
	rewards := [][]float64{{1, 2, 3}, {5, 5, 5}, {0, 4}}
	adv, st, err := Advantages(rewards, ScaleGroup, eps)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{-1 / (1 + eps), 0, 1 / (1 + eps)}, {0, 0, 0}, {-2 / (math.Sqrt(8) + eps), 2 / (math.Sqrt(8) + eps)}}
	for g := range want {
		for i := range want[g] {
			if math.Abs(adv[g][i]-want[g][i]) > 1e-15 {
				t.Errorf("group adv[%d][%d] = %v want %v", g, i, adv[g][i], want[g][i])
			}
		}
	}
	if st.ZeroVarianceGroups != 1 {
		t.Errorf("zero-variance groups %d", st.ZeroVarianceGroups)
	}
	all := []float64{1, 2, 3, 5, 5, 5, 0, 4}
	m, s := meanStd(all)
	if math.Abs(st.RewardMean-25.0/8) > 1e-15 || math.Abs(st.RewardStd-s) > 1e-15 || m != st.RewardMean {
		t.Errorf("reward stats %+v", st)
	}
	adv, _, _ = Advantages(rewards, ScaleBatch, eps)
	if math.Abs(adv[0][0]-(-1/(s+eps))) > 1e-15 || math.Abs(adv[2][1]-2/(s+eps)) > 1e-15 {
		t.Errorf("batch-scaled %v", adv)
	}
	adv, st, _ = Advantages(rewards, ScaleNone, eps)
	if adv[0][0] != -1 || adv[2][1] != 2 || adv[1][2] != 0 {
		t.Errorf("unscaled %v", adv)
	}
	if _, s := meanStd([]float64{-1, 0, 1, 0, 0, 0, -2, 2}); math.Abs(st.AdvantageStd-s) > 1e-15 {
		t.Errorf("advantage std %v want %v", st.AdvantageStd, s)
	}
	// Constant group with a value whose mean rounds: advantages exactly 0.
	adv, _, _ = Advantages([][]float64{{0.1, 0.1, 0.1}}, ScaleGroup, 0)
	for _, a := range adv[0] {
		if a != 0 {
			t.Errorf("constant group advantage %v", a)
		}
	}
	for _, bad := range [][][]float64{nil, {{1}}, {{1, math.NaN()}}, {{1, math.Inf(1)}}} {
		if _, _, err := Advantages(bad, ScaleGroup, eps); err == nil {
			t.Errorf("accepted rewards %v", bad)
		}
	}
	if _, _, err := Advantages(rewards, AdvantageScale(5), eps); err == nil {
		t.Error("accepted unknown scale")
	}
	if _, _, err := Advantages(rewards, ScaleGroup, -1); err == nil {
		t.Error("accepted negative eps")
	}
}
