package rl

import (
	"errors"
	"fmt"
)

// PreferenceKind selects a preference loss.
type PreferenceKind int

const (
	// DPOLoss is -log σ(β h), or with label smoothing ε (conservative DPO)
	// -(1-ε) log σ(β h) - ε log σ(-β h).
	DPOLoss PreferenceKind = iota
	// IPOLoss is (h - 1/(2β))².
	IPOLoss
)

func (k PreferenceKind) String() string {
	switch k {
	case DPOLoss:
		return "dpo"
	case IPOLoss:
		return "ipo"
	}
	return fmt.Sprintf("PreferenceKind(%d)", int(k))
}

// PreferenceConfig holds the preference-loss hyper-parameters.
type PreferenceConfig struct {
	Kind PreferenceKind
	// Beta is the DPO temperature / IPO regularisation strength; must be > 0.
	Beta float64
	// LabelSmoothing ε in [0, 0.5) for conservative DPO; must be 0 for IPO.
	LabelSmoothing float64
	// MeanLogProbs divides each sequence log-prob by its completion's token count before
	// the loss, so h compares per-token means: TRL's DPOTrainer does this for
	// loss_type="ipo" (its IPO), while the paper's Eq. 2 and this package's default use
	// sums. It needs the token counts ([PreferenceLossTokens], [PreferenceBatchLossTokens]);
	// derivatives are still with respect to the summed log-probs.
	MeanLogProbs bool
}

// PairTokens are the completion lengths (tokens) of a pair's chosen and rejected response.
type PairTokens struct{ Chosen, Rejected int }

// Validate reports a configuration error.
func (c PreferenceConfig) Validate() error {
	if c.Kind != DPOLoss && c.Kind != IPOLoss {
		return fmt.Errorf("rl: unknown preference loss %v", c.Kind)
	}
	if !(c.Beta > 0) || !finite(c.Beta) {
		return fmt.Errorf("rl: preference beta must be finite and > 0, got %v", c.Beta)
	}
	if !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 0.5) {
		return fmt.Errorf("rl: label smoothing must be in [0, 0.5), got %v", c.LabelSmoothing)
	}
	if c.Kind == IPOLoss && c.LabelSmoothing != 0 {
		return errors.New("rl: label smoothing is defined for DPO only, not IPO")
	}
	return nil
}

// PairLogProbs are the four sequence log-probs (sums over completion tokens) of one
// preference pair: policy and reference, chosen and rejected.
type PairLogProbs struct {
	Chosen, Rejected       float64 // policy
	RefChosen, RefRejected float64 // frozen reference, precomputed
}

// PreferenceResult is the loss of one pair, its derivatives with respect to the policy's
// chosen and rejected sequence log-probs, and TRL-style diagnostics.
type PreferenceResult struct {
	Loss float64
	// DChosen = dLoss/dChosen, DRejected = dLoss/dRejected (= -DChosen).
	DChosen, DRejected float64
	// H = (Chosen - RefChosen) - (Rejected - RefRejected).
	H float64
	// DH = dLoss/dH.
	DH float64
	// ChosenReward = β (Chosen - RefChosen), RejectedReward = β (Rejected - RefRejected),
	// Margin = ChosenReward - RejectedReward = β H.
	ChosenReward, RejectedReward, Margin float64
	// Correct is ChosenReward > RejectedReward.
	Correct bool
}

// PreferenceLoss evaluates the configured loss on one pair of summed log-probs
// (cfg.MeanLogProbs needs the token counts: use PreferenceLossTokens).
func PreferenceLoss(cfg PreferenceConfig, p PairLogProbs) (PreferenceResult, error) {
	if err := cfg.Validate(); err != nil {
		return PreferenceResult{}, err
	}
	if cfg.MeanLogProbs {
		return PreferenceResult{}, errors.New("rl: MeanLogProbs needs token counts (PreferenceLossTokens)")
	}
	return preferenceLoss(cfg, p)
}

// PreferenceLossTokens is PreferenceLoss for a pair whose completions have n tokens; with
// cfg.MeanLogProbs the log-probs are averaged over those tokens (TRL's loss_type="ipo"),
// otherwise n is ignored. DChosen and DRejected are with respect to the summed log-probs.
func PreferenceLossTokens(cfg PreferenceConfig, p PairLogProbs, n PairTokens) (PreferenceResult, error) {
	if err := cfg.Validate(); err != nil {
		return PreferenceResult{}, err
	}
	return preferenceLossTokens(cfg, p, n)
}

func preferenceLossTokens(cfg PreferenceConfig, p PairLogProbs, n PairTokens) (PreferenceResult, error) {
	if !cfg.MeanLogProbs {
		return preferenceLoss(cfg, p)
	}
	if n.Chosen <= 0 || n.Rejected <= 0 {
		return PreferenceResult{}, fmt.Errorf("rl: per-token mean log-probs need token counts > 0, got %d and %d", n.Chosen, n.Rejected)
	}
	nc, nr := float64(n.Chosen), float64(n.Rejected)
	r, err := preferenceLoss(cfg, PairLogProbs{Chosen: p.Chosen / nc, Rejected: p.Rejected / nr, RefChosen: p.RefChosen / nc, RefRejected: p.RefRejected / nr})
	if err != nil {
		return r, err
	}
	// d mean / d sum = 1/n.
	r.DChosen /= nc
	r.DRejected /= nr
	return r, nil
}

func preferenceLoss(cfg PreferenceConfig, p PairLogProbs) (PreferenceResult, error) {
	for _, v := range [...]float64{p.Chosen, p.Rejected, p.RefChosen, p.RefRejected} {
		if !finite(v) {
			return PreferenceResult{}, fmt.Errorf("rl: non-finite sequence log-prob in pair %+v", p)
		}
	}
	b := cfg.Beta
	dc := p.Chosen - p.RefChosen
	dr := p.Rejected - p.RefRejected
	h := dc - dr
	var r PreferenceResult
	r.H = h
	switch cfg.Kind {
	case DPOLoss:
		eps := cfg.LabelSmoothing
		z := b * h
		// -log σ(z) = softplus(-z); d/dz = -σ(-z).
		r.Loss = (1-eps)*softplus(-z) + eps*softplus(z)
		r.DH = b * (-(1-eps)*sigmoid(-z) + eps*sigmoid(z))
	case IPOLoss:
		d := h - 1/(2*b)
		r.Loss = d * d
		r.DH = 2 * d
	}
	r.DChosen = r.DH
	r.DRejected = -r.DH
	r.ChosenReward = b * dc
	r.RejectedReward = b * dr
	r.Margin = r.ChosenReward - r.RejectedReward
	r.Correct = r.ChosenReward > r.RejectedReward
	if !finite(r.Loss) || !finite(r.DH) {
		return PreferenceResult{}, fmt.Errorf("rl: preference loss overflow (h = %v)", h)
	}
	return r, nil
}

// PreferenceStats are batch means of the diagnostics, named like TRL's logs by Map.
type PreferenceStats struct {
	Loss           float64
	ChosenReward   float64 // rewards/chosen
	RejectedReward float64 // rewards/rejected
	Margin         float64 // rewards/margins
	Accuracy       float64 // rewards/accuracies
	Pairs          int
}

// Map returns the statistics keyed by TRL-style names.
func (s PreferenceStats) Map() map[string]float64 {
	return map[string]float64{
		"loss":               s.Loss,
		"rewards/chosen":     s.ChosenReward,
		"rewards/rejected":   s.RejectedReward,
		"rewards/margins":    s.Margin,
		"rewards/accuracies": s.Accuracy,
		"pairs":              float64(s.Pairs),
	}
}

// PreferenceBatchLoss evaluates the mean loss over pairs. dChosen[i] and dRejected[i] are the
// derivatives of the mean loss with respect to pair i's policy sequence log-probs, each
// multiplied by scale (pass 1 for a plain mean; a micro-batch of a larger batch passes its
// share, len(micro)/len(batch), so that the accumulated gradient is that of the full-batch
// mean). Stats are unscaled means over these pairs.
func PreferenceBatchLoss(cfg PreferenceConfig, pairs []PairLogProbs, scale float64) (stats PreferenceStats, dChosen, dRejected []float64, err error) {
	if cfg.MeanLogProbs {
		return stats, nil, nil, errors.New("rl: MeanLogProbs needs token counts (PreferenceBatchLossTokens)")
	}
	return PreferenceBatchLossTokens(cfg, pairs, nil, scale)
}

// PreferenceBatchLossTokens is PreferenceBatchLoss with the pairs' token counts (tokens[i]
// for pairs[i]; nil is allowed unless cfg.MeanLogProbs).
func PreferenceBatchLossTokens(cfg PreferenceConfig, pairs []PairLogProbs, tokens []PairTokens, scale float64) (stats PreferenceStats, dChosen, dRejected []float64, err error) {
	if err := cfg.Validate(); err != nil {
		return stats, nil, nil, err
	}
	if tokens != nil && len(tokens) != len(pairs) {
		return stats, nil, nil, fmt.Errorf("rl: %d token counts for %d pairs", len(tokens), len(pairs))
	}
	if tokens == nil && cfg.MeanLogProbs {
		return stats, nil, nil, errors.New("rl: MeanLogProbs needs token counts")
	}
	if len(pairs) == 0 {
		return stats, nil, nil, errors.New("rl: empty preference batch")
	}
	if !finite(scale) {
		return stats, nil, nil, fmt.Errorf("rl: non-finite gradient scale %v", scale)
	}
	n := float64(len(pairs))
	dChosen = make([]float64, len(pairs))
	dRejected = make([]float64, len(pairs))
	for i, p := range pairs {
		var pt PairTokens
		if tokens != nil {
			pt = tokens[i]
		}
		r, err := preferenceLossTokens(cfg, p, pt)
		if err != nil {
			return PreferenceStats{}, nil, nil, fmt.Errorf("pair %d: %w", i, err)
		}
		stats.Loss += r.Loss
		stats.ChosenReward += r.ChosenReward
		stats.RejectedReward += r.RejectedReward
		stats.Margin += r.Margin
		if r.Correct {
			stats.Accuracy++
		}
		dChosen[i] = r.DChosen * scale / n
		dRejected[i] = r.DRejected * scale / n
	}
	stats.Loss /= n
	stats.ChosenReward /= n
	stats.RejectedReward /= n
	stats.Margin /= n
	stats.Accuracy /= n
	stats.Pairs = len(pairs)
	return stats, dChosen, dRejected, nil
}
