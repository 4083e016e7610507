package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SampleOptions chooses how the next token is drawn from a logit row,
// applied in Hugging Face's order: temperature, then top-k, then top-p.
type SampleOptions struct {
	// Temperature divides the logits; <= 0 means greedy (argmax).
	Temperature float64
	// TopK keeps the K highest logits (ties at the K-th value kept); 0 = off.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches TopP (nucleus sampling); 0 or >= 1 = off.
	TopP float64
}

// Validate reports unusable values.
func (o SampleOptions) Validate() error {
	if math.IsNaN(o.Temperature) || math.IsInf(o.Temperature, 0) {
		return fmt.Errorf("llama: sampling temperature %v is not finite", o.Temperature)
	}
	if o.TopK < 0 {
		return fmt.Errorf("llama: top-k %d is negative", o.TopK)
	}
	if math.IsNaN(o.TopP) || o.TopP < 0 {
		return fmt.Errorf("llama: top-p %v must be >= 0", o.TopP)
	}
	return nil
}

// Argmax returns the index of the largest value, the first one on ties
// (as torch.argmax). NaN entries are never chosen unless all are NaN.
func Argmax(x []float32) int {
	best := -1
	for i, v := range x {
		if v != v {
			continue
		}
		if best < 0 || v > x[best] {
			best = i
		}
	}
	return max(best, 0)
}

// Sampler draws tokens from logit rows with a seeded generator; it reuses
// its buffers, so sampling allocates nothing once warmed up. Not safe for
// concurrent use.
type Sampler struct {
	opts  SampleOptions
	rng   *rand.Rand
	idx   []int
	probs []float64
}

// NewSampler returns a sampler whose draws depend only on (seed, stream).
func NewSampler(opts SampleOptions, seed, stream uint64) *Sampler {
	return &Sampler{opts: opts, rng: rand.New(rand.NewPCG(seed, stream))}
}

// Sample picks the next token from one logit row.
func (s *Sampler) Sample(logits []float32) int {
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
