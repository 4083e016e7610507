package serve

import (
	"math"
	"sort"
)

// MaxTopLogprobs bounds the alternatives per position a request may ask for (vLLM's
// default limit; OpenAI allows 5 on completions and 20 on chat).
const MaxTopLogprobs = 20

// logSumExp is log Σ exp(x_i), accumulated in float64.
func logSumExp(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if float64(v) > m {
			m = float64(v)
		}
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// topLogprobs returns the k most likely entries of a logit row (lower id first on ties)
// with their log-probs given the row's log-sum-exp.
func topLogprobs(row []float32, k int, lse float64) []TokenLogprob {
	k = min(k, len(row))
	if k <= 0 {
		return nil
	}
	top := make([]int, 0, k+1)
	better := func(a, b int) bool { return row[a] > row[b] || (row[a] == row[b] && a < b) }
	for i := range row {
		if len(top) == k && !better(i, top[k-1]) {
			continue
		}
		j := sort.Search(len(top), func(j int) bool { return better(i, top[j]) })
		top = append(top, 0)
		copy(top[j+1:], top[j:])
		top[j] = i
		if len(top) > k {
			top = top[:k]
		}
	}
	out := make([]TokenLogprob, len(top))
	for i, t := range top {
		out[i] = TokenLogprob{Token: t, Logprob: float64(row[t]) - lse}
	}
	return out
}
