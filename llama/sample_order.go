package llama

import (
	"math"
	"slices"
)

// Bucketing of a logit row for Sampler: each token gets a 32-bit key whose
// ascending order is the candidate order (larger logit first, +0 equal to
// -0, NaN last), packed with its id as key<<32 | id so that ties order by
// id. Buckets hold the keys sharing their top bucketBits bits (sign,
// exponent and 3 mantissa bits: each bucket spans at most 1/8 of a binade),
// laid out in candidate order by a counting sort. Only the leading buckets
// are filled at first and the rest when a caller reaches them, and a
// bucket is sorted only when a caller first needs a position inside it.

const (
	bucketBits  = 12
	bucketShift = 32 - bucketBits
	numBuckets  = 1 << bucketBits
	// nanKey is the key of every NaN, after all numbers.
	nanKey = math.MaxUint32
)

// descKey maps a logit to its candidate-order key (branch-free except for
// the rare NaN and zero, so random signs cost no mispredictions).
func descKey(v float32) uint32 {
	b := math.Float32bits(v)
	if b<<1 == 0 {
		b = 0 // -0 ties with +0, as the float comparison says
	}
	if b<<1 > 0xff000000 {
		return nanKey
	}
	// Negative: larger magnitude, larger key (b itself); positive: ^(b|1<<31).
	return b ^ uint32(^(int32(b)>>31))&0x7fffffff
}

// candidateOrder is a row's tokens grouped by bucket, with a sorted prefix.
type candidateOrder struct {
	keys   []uint64 // key<<32 | id; bucket b at keys[start(b):end[b]]
	end    []int32  // end[b] is one past bucket b
	pos    []int32  // scatter cursors
	filled int      // buckets [0, filled) hold their keys
	plan   int      // the leading buckets holding the `need` of reset
	next   int      // first bucket not yet sorted
	done   int      // keys[:done] are in final candidate order
	first  uint64   // smallest packed key: the first candidate
	tmp    []uint64 // radixSort's buffer
}

// radixMin is the bucket size from which radixSort beats slices.Sort.
const radixMin = 256

// radixSort sorts one bucket's packed keys, which fill left in id order,
// by the key bits below the bucket's: two stable counting passes of 10
// bits, so equal keys keep their id order and the result is the packed
// keys' ascending order.
func (c *candidateOrder) radixSort(a []uint64) {
	if cap(c.tmp) < len(a) {
		c.tmp = make([]uint64, len(a))
	}
	src, dst := a, c.tmp[:len(a)]
	for _, shift := range [2]uint{32, 42} { // key bits 0..9, then 10..19
		var cnt [1 << 10]int32
		for _, x := range src {
			cnt[x>>shift&(1<<10-1)]++
		}
		var at int32
		for d, k := range cnt {
			cnt[d] = at
			at += k
		}
		for _, x := range src {
			d := x >> shift & (1<<10 - 1)
			dst[cnt[d]] = x
			cnt[d]++
		}
		src, dst = dst, src
	}
	// Two passes: the sorted keys are back in a.
}

// reset counts the row's buckets (len(logits) < 2^31) and plans the
// leading ones holding at least `need` candidates, to fill first; nothing
// is filled yet.
func (c *candidateOrder) reset(logits []float32, need int) {
	n := len(logits)
	if cap(c.keys) < n {
		c.keys = make([]uint64, n)
	}
	c.keys = c.keys[:n]
	if c.end == nil {
		c.end = make([]int32, numBuckets)
		c.pos = make([]int32, numBuckets)
	}
	cnt := c.end
	clear(cnt)
	first := uint64(math.MaxUint64)
	for i, v := range logits {
		key := descKey(v)
		cnt[key>>bucketShift]++
		first = min(first, uint64(key)<<32|uint64(i))
	}
	c.first = first
	var at int32
	c.plan = numBuckets
	for b, k := range cnt {
		c.pos[b] = at
		at += k
		cnt[b] = at
		if int(at) >= need && c.plan == numBuckets {
			c.plan = b + 1
		}
	}
	c.filled, c.next, c.done = 0, 0, 0
}

// fill scatters the keys of buckets [c.filled, upto) into place.
func (c *candidateOrder) fill(logits []float32, upto int) {
	if upto <= c.filled {
		return
	}
	keys, pos := c.keys, c.pos
	lo, hi := uint32(c.filled), uint32(upto)
	for i, v := range logits {
		key := descKey(v)
		if b := key >> bucketShift; b-lo < hi-lo {
			keys[pos[b]] = uint64(key)<<32 | uint64(i)
			pos[b]++
		}
	}
	c.filled = upto
}

// fillSum is fill(logits, c.plan) from an empty start, also returning
// the row-order sum of fastExp(l/temp - top) (one pass for both).
func (c *candidateOrder) fillSum(logits []float32, temp, top float64) (est float64) {
	keys, pos := c.keys, c.pos
	hi := uint32(c.plan)
	for i, v := range logits {
		key := descKey(v)
		if b := key >> bucketShift; b < hi {
			keys[pos[b]] = uint64(key)<<32 | uint64(i)
			pos[b]++
		}
		est += fastExp(float64(v)/temp - top)
	}
	c.filled = c.plan
	return est
}

// id returns the token at candidate position j (after ensure(j)).
func (c *candidateOrder) id(j int) int { return int(uint32(c.keys[j])) }

// ensure puts keys[:j+1] in final order, filling and sorting whole buckets.
func (c *candidateOrder) ensure(logits []float32, j int) {
	for c.done <= j {
		if c.next >= c.filled {
			c.fill(logits, numBuckets)
		}
		lo, hi := c.done, int(c.end[c.next])
		if hi-lo >= radixMin {
			c.radixSort(c.keys[lo:hi])
		} else if hi-lo > 1 {
			slices.Sort(c.keys[lo:hi])
		}
		c.done = hi
		c.next++
	}
}

// topK returns how many candidates top-k keeps: the K best and every token
// tying with the K-th (ties share a bucket, so they are in the sorted
// prefix); a NaN K-th ties with nothing.
func (c *candidateOrder) topK(logits []float32, K int) int {
	c.ensure(logits, K-1)
	kth := c.keys[K-1] >> 32
	k := K
	if kth == nanKey {
		return k
	}
	for k < c.done && c.keys[k]>>32 == kth {
		k++
	}
	return k
}
