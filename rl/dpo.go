package rl

import (
	"context"
	"errors"
	"fmt"
)

// PreferenceExample is one preference pair for a DPO/IPO step: a prompt, the chosen and the
// rejected completion (token ids), and the reference model's sequence log-probs of both,
// filled once by PrecomputeReference (HasRef) and never recomputed by the trainer.
type PreferenceExample struct {
	Prompt, Chosen, Rejected []int
	RefChosen, RefRejected   float64
	HasRef                   bool
}

func (e *PreferenceExample) validate() error {
	if len(e.Chosen) == 0 || len(e.Rejected) == 0 {
		return fmt.Errorf("empty completion (chosen %d tokens, rejected %d)", len(e.Chosen), len(e.Rejected))
	}
	return nil
}

// pairSequences lays pairs out as [chosen_0, rejected_0, chosen_1, rejected_1, ...].
func pairSequences(ex []PreferenceExample) []Sequence {
	seqs := make([]Sequence, 0, 2*len(ex))
	for _, e := range ex {
		seqs = append(seqs, Sequence{Prompt: e.Prompt, Completion: e.Chosen}, Sequence{Prompt: e.Prompt, Completion: e.Rejected})
	}
	return seqs
}

// PrecomputeReference scores every example's chosen and rejected completions with the frozen
// reference model, pairsPerCall pairs per Score call (0: all at once), and stores the sums
// in RefChosen / RefRejected.
func PrecomputeReference(ctx context.Context, ref Scorer, examples []PreferenceExample, pairsPerCall int) error {
	if ref == nil {
		return errors.New("rl: no reference model")
	}
	if pairsPerCall <= 0 {
		pairsPerCall = len(examples)
	}
	for s := 0; s < len(examples); s += pairsPerCall {
		e := min(s+pairsPerCall, len(examples))
		part := examples[s:e]
		for i := range part {
			if err := part[i].validate(); err != nil {
				return fmt.Errorf("rl: example %d: %w", s+i, err)
			}
		}
		seqs := pairSequences(part)
		lp, err := ref.Score(ctx, seqs)
		if err != nil {
			return fmt.Errorf("rl: reference log-probs: %w", err)
		}
		if err := checkShape(lp, seqs); err != nil {
			return fmt.Errorf("rl: reference: %w", err)
		}
		for i := range part {
			c, err := sumLogProbs(lp[2*i])
			if err != nil {
				return fmt.Errorf("rl: reference, example %d chosen: %w", s+i, err)
			}
			r, err := sumLogProbs(lp[2*i+1])
			if err != nil {
				return fmt.Errorf("rl: reference, example %d rejected: %w", s+i, err)
			}
			part[i].RefChosen, part[i].RefRejected, part[i].HasRef = c, r, true
		}
	}
	return nil
}

func sumLogProbs(lp []float64) (float64, error) {
	s := 0.0
	for t, v := range lp {
		if err := checkLogProb(v); err != nil {
			return 0, fmt.Errorf("token %d: %w", t, err)
		}
		s += v
	}
	return s, nil
}

// DPO runs preference-optimisation steps (DPO, conservative DPO or IPO per Config).
type DPO struct {
	Policy Differentiable
	Opt    Optimizer
	Config PreferenceConfig
	// MicroBatch is the number of pairs per LogProbs call (0: whole batch); gradients are
	// accumulated so the step equals the full-batch mean-loss step.
	MicroBatch int
}

// Step zeroes the gradients, evaluates the mean preference loss of batch micro-batch by
// micro-batch, back-propagates it, and takes one optimizer step with learning rate lr.
// Every example must carry reference log-probs (PrecomputeReference).
func (d *DPO) Step(ctx context.Context, batch []PreferenceExample, lr float64) (PreferenceStats, error) {
	var total PreferenceStats
	if d.Policy == nil || d.Opt == nil {
		return total, errors.New("rl: DPO needs Policy and Opt")
	}
	if err := d.Config.Validate(); err != nil {
		return total, err
	}
	if len(batch) == 0 {
		return total, errors.New("rl: DPO step on an empty batch")
	}
	if d.MicroBatch < 0 {
		return total, fmt.Errorf("rl: negative micro-batch %d", d.MicroBatch)
	}
	if !finite(lr) || lr < 0 {
		return total, fmt.Errorf("rl: bad learning rate %v", lr)
	}
	for i := range batch {
		if err := batch[i].validate(); err != nil {
			return total, fmt.Errorf("rl: example %d: %w", i, err)
		}
		if !batch[i].HasRef {
			return total, fmt.Errorf("rl: example %d has no reference log-probs (run PrecomputeReference)", i)
		}
	}
	mb := d.MicroBatch
	if mb == 0 || mb > len(batch) {
		mb = len(batch)
	}
	d.Opt.ZeroGrad()
	n := float64(len(batch))
	for s := 0; s < len(batch); s += mb {
		if err := ctx.Err(); err != nil {
			return PreferenceStats{}, err
		}
		e := min(s+mb, len(batch))
		part := batch[s:e]
		seqs := pairSequences(part)
		lp, bw, err := d.Policy.LogProbs(ctx, seqs)
		if err != nil {
			return PreferenceStats{}, fmt.Errorf("rl: policy log-probs: %w", err)
		}
		if err := checkShape(lp, seqs); err != nil {
			return PreferenceStats{}, fmt.Errorf("rl: policy: %w", err)
		}
		if bw == nil {
			return PreferenceStats{}, errors.New("rl: policy LogProbs returned no backward function")
		}
		pairs := make([]PairLogProbs, len(part))
		tokens := make([]PairTokens, len(part))
		for i, ex := range part {
			tokens[i] = PairTokens{Chosen: len(ex.Chosen), Rejected: len(ex.Rejected)}
			c, err := sumLogProbs(lp[2*i])
			if err != nil {
				return PreferenceStats{}, fmt.Errorf("rl: example %d chosen: %w", s+i, err)
			}
			r, err := sumLogProbs(lp[2*i+1])
			if err != nil {
				return PreferenceStats{}, fmt.Errorf("rl: example %d rejected: %w", s+i, err)
			}
			pairs[i] = PairLogProbs{Chosen: c, Rejected: r, RefChosen: ex.RefChosen, RefRejected: ex.RefRejected}
		}
		frac := float64(len(part)) / n
		st, dc, dr, err := PreferenceBatchLossTokens(d.Config, pairs, tokens, frac)
		if err != nil {
			return PreferenceStats{}, err
		}
		// A sequence log-prob is a sum of token log-probs: each token gets the sequence's
		// derivative.
		dlp := make([][]float64, len(seqs))
		for i := range part {
			dlp[2*i] = fill(len(lp[2*i]), dc[i])
			dlp[2*i+1] = fill(len(lp[2*i+1]), dr[i])
		}
		if err := bw(dlp); err != nil {
			return PreferenceStats{}, fmt.Errorf("rl: policy backward: %w", err)
		}
		total.Loss += st.Loss * frac
		total.ChosenReward += st.ChosenReward * frac
		total.RejectedReward += st.RejectedReward * frac
		total.Margin += st.Margin * frac
		total.Accuracy += st.Accuracy * frac
		total.Pairs += st.Pairs
	}
	if err := d.Opt.Step(lr); err != nil {
		return PreferenceStats{}, fmt.Errorf("rl: optimizer step: %w", err)
	}
	return total, nil
}

// LoopStep adapts Step to Loop.Step.
func (d *DPO) LoopStep(ctx context.Context, batch []PreferenceExample, lr float64) (map[string]float64, error) {
	st, err := d.Step(ctx, batch, lr)
	if err != nil {
		return nil, err
	}
	return st.Map(), nil
}

func fill(n int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}
