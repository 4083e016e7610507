package llama

import (
	"math"
	"math/rand/v2"
	"slices"
)

// refSampler is the sampler as it was before the selection-based rewrite:
// a full sort of the vocabulary per draw. It is kept verbatim as the
// reference that Sampler must reproduce token for token.
type refSampler struct {
	opts  SampleOptions
	rng   *rand.Rand
	idx   []int
	probs []float64
}

func newRefSampler(opts SampleOptions, seed, stream uint64) *refSampler {
	return &refSampler{opts: opts, rng: rand.New(rand.NewPCG(seed, stream))}
}

func (s *refSampler) Sample(logits []float32) int {
	o := s.opts
	if o.Temperature <= 0 || o.TopK == 1 {
		return Argmax(logits)
	}
	n := len(logits)
	if cap(s.idx) < n {
		s.idx = make([]int, n)
		s.probs = make([]float64, n)
	}
	idx := s.idx[:n]
	for i := range idx {
		idx[i] = i
	}
	// Candidates in descending logit order (stable: lower id first on ties).
	desc := func(a, b int) int {
		la, lb := logits[a], logits[b]
		switch {
		case la > lb || (lb != lb && la == la):
			return -1
		case la < lb || (la != la && lb == lb):
			return 1
		}
		return a - b
	}
	slices.SortFunc(idx, desc)
	k := n
	if o.TopK > 0 && o.TopK < n {
		k = o.TopK
		for k < n && logits[idx[k]] == logits[idx[o.TopK-1]] {
			k++ // ties with the K-th value stay in
		}
	}
	idx = idx[:k]
	// Softmax of logits/T over the candidates, in float64.
	p := s.probs[:k]
	top := float64(logits[idx[0]]) / o.Temperature
	var sum float64
	for i, t := range idx {
		v := math.Exp(float64(logits[t])/o.Temperature - top)
		if v != v {
			v = 0
		}
		p[i] = v
		sum += v
	}
	if o.TopP > 0 && o.TopP < 1 {
		// Keep token i while the mass strictly above it is below TopP.
		var cum float64
		keep := 0
		for keep < k && cum < o.TopP*sum {
			cum += p[keep]
			keep++
		}
		k = max(keep, 1)
		p = p[:k]
		sum = 0
		for _, v := range p {
			sum += v
		}
	}
	u := s.rng.Float64() * sum
	for i, v := range p {
		u -= v
		if u < 0 {
			return idx[i]
		}
	}
	return idx[k-1]
}
