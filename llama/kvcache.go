package llama

import "fmt"

// KVCache holds the rotated keys and the values of one sequence for every
// layer: K[l] and V[l] are Cap rows of KVHeads*HeadDim floats, of which the
// first Len are filled (row j is position j). Forward appends to it and
// grows it (doubling) when needed.
type KVCache struct {
	K, V  [][]float32
	len   int
	cap   int
	kvDim int
	max   int // position limit of the model, 0 = none
}

// NewKVCache returns an empty cache with room for capacity positions
// (it grows beyond that on demand).
func (m *Model) NewKVCache(capacity int) *KVCache {
	if capacity < 1 {
		capacity = 1
	}
	if m.dims.maxPos > 0 && capacity > m.dims.maxPos {
		capacity = m.dims.maxPos
	}
	c := &KVCache{K: make([][]float32, m.dims.layers), V: make([][]float32, m.dims.layers),
		kvDim: m.dims.kvDim, max: m.dims.maxPos}
	c.alloc(capacity, 0)
	return c
}

func (c *KVCache) alloc(capacity, keep int) {
	for l := range c.K {
		k := make([]float32, capacity*c.kvDim)
		v := make([]float32, capacity*c.kvDim)
		copy(k, c.K[l][:keep*c.kvDim])
		copy(v, c.V[l][:keep*c.kvDim])
		c.K[l], c.V[l] = k, v
	}
	c.cap = capacity
}

// Len is the number of cached positions.
func (c *KVCache) Len() int { return c.len }

// Cap is the number of positions the cache holds without growing.
func (c *KVCache) Cap() int { return c.cap }

// Reset empties the cache (keeping its memory).
func (c *KVCache) Reset() { c.len = 0 }

// Truncate drops every position from n on (0 <= n <= Len).
func (c *KVCache) Truncate(n int) error {
	if n < 0 || n > c.len {
		return fmt.Errorf("llama: truncate KV cache to %d: it holds %d positions", n, c.len)
	}
	c.len = n
	return nil
}

// Clone returns an independent copy holding the same positions, with room
// for extra more positions before it must grow.
func (c *KVCache) Clone(extra int) *KVCache {
	n := &KVCache{K: make([][]float32, len(c.K)), V: make([][]float32, len(c.V)),
		kvDim: c.kvDim, max: c.max}
	capacity := max(c.len+max(extra, 0), 1)
	if c.max > 0 && capacity > c.max {
		capacity = c.max
	}
	for l := range c.K {
		n.K[l] = make([]float32, capacity*c.kvDim)
		n.V[l] = make([]float32, capacity*c.kvDim)
		copy(n.K[l], c.K[l][:c.len*c.kvDim])
		copy(n.V[l], c.V[l][:c.len*c.kvDim])
	}
	n.len, n.cap = c.len, capacity
	return n
}

// CopyFrom makes c hold exactly src's positions, reusing c's memory when it
// is large enough. Both caches must belong to models of the same shape.
func (c *KVCache) CopyFrom(src *KVCache) error {
	if len(c.K) != len(src.K) || c.kvDim != src.kvDim {
		return fmt.Errorf("llama: KV cache copy between different model shapes")
	}
	if c.cap < src.len {
		c.alloc(src.len, 0)
	}
	for l := range c.K {
		copy(c.K[l], src.K[l][:src.len*c.kvDim])
		copy(c.V[l], src.V[l][:src.len*c.kvDim])
	}
	c.len = src.len
	return nil
}

// reserve makes room for n more positions.
func (c *KVCache) reserve(n int) error {
	need := c.len + n
	if c.max > 0 && need > c.max {
		return fmt.Errorf("llama: sequence of %d positions exceeds max_position_embeddings %d", need, c.max)
	}
	if need <= c.cap {
		return nil
	}
	capacity := max(need, 2*c.cap)
	if c.max > 0 && capacity > c.max {
		capacity = c.max
	}
	c.alloc(capacity, c.len)
	return nil
}

// Bytes reports the memory the cache occupies.
func (c *KVCache) Bytes() int64 { return int64(2*len(c.K)) * int64(c.cap) * int64(c.kvDim) * 4 }
