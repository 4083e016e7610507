package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
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
//
// A draw is defined on the candidates in descending logit order (NaN
// last, lower id first on ties): their float64 weights exp(l/T - top) are
// summed in that order, one uniform u in [0,1) is scaled by the sum, and
// the weights are subtracted from it in that order until it turns
// negative. Sample computes exactly this without sorting the vocabulary:
// it buckets the row by the leading bits of each logit, sorts buckets only
// as the walk reaches them, and brackets the ordered sum with an
// order-independent sum and its rounding-error bound, falling back to the
// full ordered computation when the bracket straddles a token boundary
// (probability below 2·n·δ per draw, δ ≈ 4n·2⁻⁵³: at most ~1.5e-5 at
// n = 128256, 0 seen in the benchmarks; ties landing exactly on a top-p
// threshold fall back every time but are rare). Draws are therefore
// identical, bit for bit, to a full sort's.
type Sampler struct {
	opts SampleOptions
	rng  *rand.Rand
	own  *sampleScratch // Sample's buffers, allocated on first use
	sc   *sampleScratch // the buffers of the draw in progress
	// exactMax: candidate sets of at most this many tokens are always sorted
	// in full (cheap at that size); larger ones use the bracketed walk.
	exactMax int
	// slack scales the rounding-error bracket (1 in use; tests widen it to
	// exercise the fallback).
	slack float64
	// fallbacks counts bracketed walks that could not decide the token.
	fallbacks int
}

// sampleExactMax is the candidate count up to which NewSampler's samplers
// sort in full (tests lower it to put the bracketed walk under generation).
var sampleExactMax = 512

// NewSampler returns a sampler whose draws depend only on (seed, stream).
func NewSampler(opts SampleOptions, seed, stream uint64) *Sampler {
	return &Sampler{opts: opts, rng: rand.New(rand.NewPCG(seed, stream)), exactMax: sampleExactMax, slack: 1}
}

// sampleScratch holds a draw's buffers (about 8 bytes per vocabulary
// entry, plus 8 per kept candidate). Draws leave nothing in it that a later
// draw reads, so samplers that never draw at the same time can share one.
type sampleScratch struct {
	ord   candidateOrder
	probs []float64
}

// weights returns a buffer for k candidate weights.
func (sc *sampleScratch) weights(k int) []float64 {
	if cap(sc.probs) < k {
		sc.probs = make([]float64, k)
	}
	return sc.probs[:k]
}

// Sample picks the next token from one logit row of 1..2^31-1 entries
// (Sample panics with a message otherwise; a model row never is).
func (s *Sampler) Sample(logits []float32) int {
	if s.own == nil {
		s.own = new(sampleScratch)
	}
	return s.sampleWith(logits, s.own)
}

// sampleWith is Sample using the buffers sc, which no other draw may use
// at the same time.
func (s *Sampler) sampleWith(logits []float32, sc *sampleScratch) int {
	o := s.opts
	if o.Temperature <= 0 || o.TopK == 1 {
		return Argmax(logits)
	}
	n := len(logits)
	if n == 0 || n > math.MaxInt32 {
		panic(fmt.Sprintf("llama: Sampler.Sample: logit row of %d entries (want 1..2^31-1)", n))
	}
	s.sc = sc
	defer func() { s.sc = nil }()
	k := n
	if o.TopK > 0 && o.TopK < n {
		sc.ord.reset(logits, o.TopK)
		sc.ord.fill(logits, sc.ord.plan)
		k = sc.ord.topK(logits, o.TopK)
	} else {
		// Enough for most walks at T=1; deeper ones fill the rest. The
		// bracketed walk fills while summing, the full sort in ensure.
		sc.ord.reset(logits, max(n/32, 256))
	}
	f := s.rng.Float64()
	top := float64(logits[uint32(sc.ord.first)]) / o.Temperature
	if k > s.exactMax && !math.IsInf(top, 0) && !math.IsNaN(top) {
		if t, ok := s.drawBracketed(logits, k, top, f); ok {
			return t
		}
		s.fallbacks++
	}
	return s.drawOrdered(logits, k, f)
}
