package rl

import (
	"errors"
	"fmt"
	"math"
)

// Aggregation selects how per-token surrogate losses are combined into the batch loss.
type Aggregation int

const (
	// AggGRPO averages tokens within each sequence, then averages over sequences.
	AggGRPO Aggregation = iota
	// AggDAPO averages over all tokens of the batch (token-level).
	AggDAPO
	// AggDrGRPO sums all tokens and divides by (number of sequences × maximum completion
	// length), a constant independent of the sampled lengths.
	AggDrGRPO
)

func (a Aggregation) String() string {
	switch a {
	case AggGRPO:
		return "grpo"
	case AggDAPO:
		return "dapo"
	case AggDrGRPO:
		return "dr_grpo"
	}
	return fmt.Sprintf("Aggregation(%d)", int(a))
}

// TokenWeights returns, for each sequence of the batch, the weight its tokens carry in the
// aggregated loss, loss = Σ_i w_i Σ_t ℓ_it, given the completion lengths of the whole batch.
// maxLen is the configured maximum completion length (used by AggDrGRPO only, where every
// length must be <= maxLen). Empty completions get weight 0 under AggGRPO but still count as
// sequences, so they dilute the mean like a zero loss. Because the weights depend only on
// lengths, the batch can be split into micro-batches with the exact same total gradient.
func TokenWeights(lengths []int, agg Aggregation, maxLen int) ([]float64, error) {
	if len(lengths) == 0 {
		return nil, errors.New("rl: no sequences")
	}
	total := 0
	for i, n := range lengths {
		if n < 0 {
			return nil, fmt.Errorf("rl: sequence %d has negative length %d", i, n)
		}
		total += n
	}
	w := make([]float64, len(lengths))
	nseq := float64(len(lengths))
	switch agg {
	case AggGRPO:
		for i, n := range lengths {
			if n > 0 {
				w[i] = 1 / (nseq * float64(n))
			}
		}
	case AggDAPO:
		if total == 0 {
			return w, nil
		}
		for i := range w {
			w[i] = 1 / float64(total)
		}
	case AggDrGRPO:
		if maxLen <= 0 {
			return nil, fmt.Errorf("rl: dr_grpo aggregation needs a maximum completion length > 0, got %d", maxLen)
		}
		for i, n := range lengths {
			if n > maxLen {
				return nil, fmt.Errorf("rl: sequence %d has %d tokens, more than the maximum %d", i, n, maxLen)
			}
			w[i] = 1 / (nseq * float64(maxLen))
		}
	default:
		return nil, fmt.Errorf("rl: unknown aggregation %v", agg)
	}
	return w, nil
}

// SurrogateParams are the per-token objective's hyper-parameters.
type SurrogateParams struct {
	// EpsLow and EpsHigh bound the ratio to [1-EpsLow, 1+EpsHigh]; both > 0.
	EpsLow, EpsHigh float64
	// Alpha is the k3 KL penalty coefficient (>= 0). With Alpha > 0 reference log-probs are
	// required; with Alpha = 0 they are optional and only feed the KL statistic.
	Alpha float64
}

// Validate reports a parameter error.
func (p SurrogateParams) Validate() error {
	if !(p.EpsLow > 0 && p.EpsLow < 1) || !(p.EpsHigh > 0) || !finite(p.EpsHigh) {
		return fmt.Errorf("rl: clip range needs 0 < EpsLow < 1 and finite EpsHigh > 0, got %v, %v", p.EpsLow, p.EpsHigh)
	}
	if !(p.Alpha >= 0) || !finite(p.Alpha) {
		return fmt.Errorf("rl: KL coefficient must be finite and >= 0, got %v", p.Alpha)
	}
	return nil
}

// ObjectiveResult holds one (micro-)batch's contribution to the GRPO loss. Sums and counts
// add up across micro-batches (see Add); the loss is already weighted, so adding the
// micro-batch losses gives the batch loss.
type ObjectiveResult struct {
	Loss float64
	// Grad[i][t] = dLoss/dlp[i][t].
	Grad [][]float64
	// Tokens counted; KLSum is Σ k3 over them (valid when HasKL); ClipLow / ClipHigh count
	// tokens whose gradient the lower / upper clip removed; NegLogProbSum is Σ -lp (the
	// entropy estimate's numerator); RatioMax the largest probability ratio seen.
	Tokens            int
	KLSum             float64
	HasKL             bool
	ClipLow, ClipHigh int
	NegLogProbSum     float64
	RatioMax          float64
}

// Add accumulates another micro-batch's statistics and loss (Grad is not merged).
func (r *ObjectiveResult) Add(o ObjectiveResult) {
	r.Loss += o.Loss
	r.Tokens += o.Tokens
	r.KLSum += o.KLSum
	r.HasKL = r.HasKL || o.HasKL
	r.ClipLow += o.ClipLow
	r.ClipHigh += o.ClipHigh
	r.NegLogProbSum += o.NegLogProbSum
	r.RatioMax = math.Max(r.RatioMax, o.RatioMax)
}

// GRPOObjective evaluates the clipped surrogate with KL penalty on a (micro-)batch:
//
//	loss = Σ_i w_i Σ_t [ -min(ρ_it A_i, clip(ρ_it, 1-EpsLow, 1+EpsHigh) A_i) + α k3(lp_it, ref_it) ]
//
// with ρ = exp(lp - old). lp, old and ref (ref may be nil when Alpha = 0) are per-token
// log-probs shaped alike; adv and weights have one entry per sequence (weights from
// TokenWeights over the whole batch). The gradient with respect to lp is exact: the selected
// unclipped branch gives -A ρ, a clipped branch gives 0, and the KL term α (1 - exp(ref-lp)).
func GRPOObjective(lp, old, ref [][]float64, adv, weights []float64, p SurrogateParams) (ObjectiveResult, error) {
	var res ObjectiveResult
	if err := p.Validate(); err != nil {
		return res, err
	}
	n := len(lp)
	if len(old) != n || len(adv) != n || len(weights) != n || (ref != nil && len(ref) != n) {
		return res, fmt.Errorf("rl: batch size mismatch: lp %d, old %d, ref %d, adv %d, weights %d",
			n, len(old), len(ref), len(adv), len(weights))
	}
	if p.Alpha > 0 && ref == nil {
		return res, errors.New("rl: KL coefficient > 0 but no reference log-probs")
	}
	res.HasKL = ref != nil
	res.Grad = make([][]float64, n)
	lo, hi := 1-p.EpsLow, 1+p.EpsHigh
	for i := range lp {
		T := len(lp[i])
		if len(old[i]) != T || (ref != nil && len(ref[i]) != T) {
			return res, fmt.Errorf("rl: sequence %d: %d log-probs but %d old and %d reference", i, T, len(old[i]), lenOrNeg(ref, i))
		}
		a, w := adv[i], weights[i]
		if !finite(a) || !finite(w) || w < 0 {
			return res, fmt.Errorf("rl: sequence %d: bad advantage %v or weight %v", i, a, w)
		}
		g := make([]float64, T)
		var seqLoss float64
		for t := 0; t < T; t++ {
			l, o := lp[i][t], old[i][t]
			if err := checkLogProb(l); err != nil {
				return res, fmt.Errorf("rl: sequence %d token %d: %w", i, t, err)
			}
			if err := checkLogProb(o); err != nil {
				return res, fmt.Errorf("rl: sequence %d token %d (old): %w", i, t, err)
			}
			ratio := math.Exp(l - o)
			res.RatioMax = math.Max(res.RatioMax, ratio)
			clipped := math.Min(math.Max(ratio, lo), hi)
			u, c := ratio*a, clipped*a
			var tokLoss, dtok float64
			if u <= c {
				tokLoss, dtok = -u, -u // d(-ρA)/dlp = -ρA
			} else {
				tokLoss = -c // clipped branch is constant in lp
				if ratio > hi {
					res.ClipHigh++
				} else {
					res.ClipLow++
				}
			}
			if ref != nil {
				r := ref[i][t]
				if err := checkLogProb(r); err != nil {
					return res, fmt.Errorf("rl: sequence %d token %d (reference): %w", i, t, err)
				}
				k, dk := KLk3(l, r)
				if !finite(k) {
					return res, fmt.Errorf("rl: sequence %d token %d: k3 KL overflows (ref-lp = %v)", i, t, r-l)
				}
				res.KLSum += k
				tokLoss += p.Alpha * k
				dtok += p.Alpha * dk
			}
			seqLoss += tokLoss
			g[t] = w * dtok
			if !finite(g[t]) {
				return res, fmt.Errorf("rl: sequence %d token %d: gradient overflows (ratio %v, advantage %v)", i, t, ratio, a)
			}
			res.NegLogProbSum -= l
		}
		res.Tokens += T
		res.Loss += w * seqLoss
		res.Grad[i] = g
		if !finite(res.Loss) {
			return res, fmt.Errorf("rl: sequence %d: surrogate overflows (max ratio %v)", i, res.RatioMax)
		}
	}
	return res, nil
}

func lenOrNeg(x [][]float64, i int) int {
	if x == nil {
		return -1
	}
	return len(x[i])
}

// logProbTolerance admits float32 round-off above 0 in log-probs of near-certain tokens.
const logProbTolerance = 1e-4

func checkLogProb(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("non-finite log-prob %v", v)
	}
	if v > logProbTolerance {
		return fmt.Errorf("log-prob %v > 0", v)
	}
	return nil
}
