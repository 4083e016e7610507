package llama

import (
	"math"
	"math/bits"
)

// topPActive reports whether nucleus filtering applies.
func (o SampleOptions) topPActive() bool { return o.TopP > 0 && o.TopP < 1 }

// weight is a candidate's unnormalised probability exp(l/T - top), with
// NaN (from NaN or infinite logits) counted as 0.
func weight(l float32, temp, top float64) float64 {
	v := math.Exp(float64(l)/temp - top)
	if v != v {
		return 0
	}
	return v
}

// drawOrdered is the definition of a draw, computed on the fully sorted
// first k candidates with the uniform f.
func (s *Sampler) drawOrdered(logits []float32, k int, f float64) int {
	o := s.opts
	c := &s.sc.ord
	c.ensure(logits, k-1)
	p := s.sc.weights(k)
	top := float64(logits[c.id(0)]) / o.Temperature
	var sum float64
	for i := range p {
		v := weight(logits[c.id(i)], o.Temperature, top)
		p[i] = v
		sum += v
	}
	if o.topPActive() {
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
	return c.walk(p, f*sum, k)
}

// walk subtracts the weights p (of candidates 0..len(p)-1) from u in order
// and returns the candidate that turns u negative, else candidate last.
func (c *candidateOrder) walk(p []float64, u float64, last int) int {
	for i, v := range p {
		u -= v
		if u < 0 {
			return c.id(i)
		}
	}
	return c.id(last - 1)
}

// sumBracket returns [lo, hi] holding every float64 left-to-right sum, in
// any order, of m non-negative terms w_i when est is a left-to-right sum of
// approximations of them with |ŵ_i - w_i| <= termErr·w_i + 1e-300, and
// est >= 1/2; slack (>= 1) widens it further. Both sums lie within
// γ(m-1)·Σ of their exact sums (γ(j) = j·2⁻⁵³/(1-j·2⁻⁵³)), so a relative
// half-width of 4(m+1)·2⁻⁵³ + 2·termErr (+ 1e-280 for the absolute part)
// covers them with room for the rounding of lo and hi themselves.
func sumBracket(est float64, m int, termErr, slack float64) (lo, hi float64) {
	d := (4*float64(m+1)*0x1p-53 + 2*termErr + 1e-280) * slack
	return math.Nextafter(est-est*d, 0), math.Nextafter(est+est*d, math.Inf(1))
}

// drawBracketed computes drawOrdered's token while sorting only the
// candidates it walks over. The ordered sum S of the k weights is
// bracketed (sumBracket) around est, their sum in row order computed with
// fastExp. The token drawn, as a function of S, is monotone (every step,
// f·S, u-v and TopP·S, is a monotone rounding), so when both ends of the
// bracket draw the same token S does too; otherwise ok is false and the
// caller falls back to drawOrdered with the same f.
func (s *Sampler) drawBracketed(logits []float32, k int, top, f float64) (tok int, ok bool) {
	c := &s.sc.ord
	temp := s.opts.Temperature
	var est float64
	if c.filled == 0 { // k == len(logits), nothing filled yet
		est = c.fillSum(logits, temp, top)
	} else {
		for _, key := range c.keys[:k] {
			est += fastExp(float64(logits[uint32(key)])/temp - top)
		}
	}
	lo, hi := sumBracket(est, k, fastExpRelErr, s.slack)
	if tok, ok = s.drawBetween(logits, k, top, f, lo, hi); ok {
		return tok, true
	}
	// Rows of equal weights (flat rows, huge temperatures) sum without any
	// rounding, so their ordered sum is known exactly.
	if sum, exact := s.exactSum(logits, k, top); exact {
		return s.drawBetween(logits, k, top, f, sum, sum)
	}
	return 0, false
}

// exactSum returns the sum of the k candidate weights in row order and
// whether every left-to-right sum of them, in any order, is free of
// rounding: true when all weights are multiples of one power of two q and
// the sum is below 2⁵³·q (then the row-order partial sums were exact, so
// the sum is the exact total, and every partial sum in any order is a
// multiple of q below 2⁵³·q, hence representable).
func (s *Sampler) exactSum(logits []float32, k int, top float64) (float64, bool) {
	c := &s.sc.ord
	minExp := math.MaxInt
	var sum float64
	for j := range k {
		l := logits[j] // all of the row when k == len(logits)
		if k < len(logits) {
			l = logits[uint32(c.keys[j])] // else the filled top-k prefix
		}
		v := weight(l, s.opts.Temperature, top)
		sum += v
		if v == 0 {
			continue
		}
		b := math.Float64bits(v)
		e, m := int(b>>52&0x7ff), b&(1<<52-1)
		if e == 0 {
			e = 1 // subnormal: m·2^-1074
		} else {
			m |= 1 << 52
		}
		minExp = min(minExp, e-1075+bits.TrailingZeros64(m))
	}
	return sum, minExp == math.MaxInt || sum < math.Ldexp(1, 53+minExp)
}

// drawBetween is drawOrdered's token if it is the same for every ordered
// sum in [lo, hi], which it checks while sorting only the walked prefix.
func (s *Sampler) drawBetween(logits []float32, k int, top, f, lo, hi float64) (tok int, ok bool) {
	o := s.opts
	c := &s.sc.ord
	temp := o.Temperature

	if !o.topPActive() {
		ulo, uhi := f*lo, f*hi
		for i := 0; i < k; i++ {
			if i >= c.done {
				c.ensure(logits, i)
			}
			v := weight(logits[c.id(i)], temp, top)
			ulo -= v
			uhi -= v
			if uhi < 0 { // so is ulo (ulo <= uhi throughout), both first here
				return c.id(i), true
			}
			if ulo < 0 {
				return 0, false
			}
		}
		return c.id(k - 1), true
	}

	// Nucleus: keep = first j with cum_j >= TopP·S (or k); it must be the
	// same at both ends of the bracket. The kept sum is then exact.
	tlo, thi := o.TopP*lo, o.TopP*hi
	p := s.sc.probs[:0]
	defer func() { s.sc.probs = p[:0] }() // keep the grown buffer
	var cum float64
	keep := 0
	for keep < k && cum < thi {
		if !(cum < tlo) {
			return 0, false // the low end stops here, the high end later
		}
		if keep >= c.done {
			c.ensure(logits, keep)
		}
		v := weight(logits[c.id(keep)], temp, top)
		p = append(p, v)
		cum += v
		keep++
	}
	if keep == 0 { // TopP·S rounds to 0: only the first candidate is kept
		c.ensure(logits, 0)
		p = append(p, weight(logits[c.id(0)], temp, top))
	}
	keep = max(keep, 1)
	var sum float64
	for _, v := range p[:keep] {
		sum += v
	}
	return c.walk(p[:keep], f*sum, keep), true
}
