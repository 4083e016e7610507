package rl

import (
	"errors"
	"fmt"
	"math"
)

// AdvantageScale selects the standard deviation that divides the group-centred rewards.
type AdvantageScale int

const (
	// ScaleGroup divides by the standard deviation of the prompt's own group (GRPO).
	ScaleGroup AdvantageScale = iota
	// ScaleBatch divides by the standard deviation of all rewards of the batch.
	ScaleBatch
	// ScaleNone only centres the rewards (Dr. GRPO).
	ScaleNone
)

func (s AdvantageScale) String() string {
	switch s {
	case ScaleGroup:
		return "group"
	case ScaleBatch:
		return "batch"
	case ScaleNone:
		return "none"
	}
	return fmt.Sprintf("AdvantageScale(%d)", int(s))
}

// AdvantageStats summarise one batch of rewards.
type AdvantageStats struct {
	RewardMean, RewardStd float64 // over all completions of the batch (sample std)
	AdvantageStd          float64 // sample std of all advantages
	ZeroVarianceGroups    int     // groups whose rewards are all equal (advantage 0)
}

// Advantages computes group-relative advantages A = (r - mean_g) / (std + eps), where mean_g
// is the mean of the completion's group and std depends on scale (group or batch std, or 1
// with ScaleNone, in which case eps is not added either). Standard deviations are sample
// standard deviations (n-1 denominator), as torch.std. Every group needs at least 2
// rewards, all finite. A group whose rewards are all equal gets advantage exactly 0.
func Advantages(rewards [][]float64, scale AdvantageScale, eps float64) ([][]float64, AdvantageStats, error) {
	var st AdvantageStats
	if len(rewards) == 0 {
		return nil, st, errors.New("rl: no reward groups")
	}
	if scale != ScaleGroup && scale != ScaleBatch && scale != ScaleNone {
		return nil, st, fmt.Errorf("rl: unknown advantage scale %v", scale)
	}
	if !(eps >= 0) || !finite(eps) {
		return nil, st, fmt.Errorf("rl: advantage eps must be finite and >= 0, got %v", eps)
	}
	var all []float64
	for g, grp := range rewards {
		if len(grp) < 2 {
			return nil, st, fmt.Errorf("rl: reward group %d has %d completions, need at least 2", g, len(grp))
		}
		for i, r := range grp {
			if !finite(r) {
				return nil, st, fmt.Errorf("rl: reward %d of group %d is %v", i, g, r)
			}
		}
		all = append(all, grp...)
	}
	st.RewardMean, st.RewardStd = meanStd(all)
	adv := make([][]float64, len(rewards))
	var advAll []float64
	for g, grp := range rewards {
		m, s := meanStd(grp)
		constant := true
		for _, r := range grp {
			if r != grp[0] {
				constant = false
			}
		}
		if constant {
			st.ZeroVarianceGroups++
		}
		div := 1.0
		switch scale {
		case ScaleGroup:
			div = s + eps
		case ScaleBatch:
			div = st.RewardStd + eps
		}
		a := make([]float64, len(grp))
		for i, r := range grp {
			if constant {
				continue // exactly 0, even when the mean rounds
			}
			a[i] = (r - m) / div
			if !finite(a[i]) {
				return nil, st, fmt.Errorf("rl: advantage overflow in group %d (std %v + eps %v)", g, s, eps)
			}
		}
		adv[g] = a
		advAll = append(advAll, a...)
	}
	_, st.AdvantageStd = meanStd(advAll)
	return adv, st, nil
}

// meanStd returns the mean and the sample standard deviation (n-1; 0 when n < 2).
func meanStd(x []float64) (mean, std float64) {
	if len(x) == 0 {
		return 0, 0
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}
