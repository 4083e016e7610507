package nn

import "sync"

// Gradient buffers of intermediate values live only during one Backward.
// They are recycled here by exact length, so a training loop that builds the
// same graph every step reuses last step's buffers instead of allocating
// (and page-faulting) hundreds of megabytes per step. The pool holds at most
// poolCap float32s; ReleaseBuffers empties it.
var gradPool = struct {
	sync.Mutex
	free map[int][][]float32
	held int
}{free: map[int][][]float32{}}

const poolCap = 256 << 20 // float32s (1 GiB)

// getBuf returns a zeroed buffer of n float32s.
func getBuf(n int) []float32 {
	b, reused := takeBuf(n)
	if reused {
		clear(b)
	}
	return b
}

// getBufDirty returns a buffer of n float32s with arbitrary contents (the
// caller overwrites all of it).
func getBufDirty(n int) []float32 {
	b, _ := takeBuf(n)
	return b
}

// takeBuf returns a pooled buffer of n float32s (reused, contents arbitrary)
// or a fresh zeroed one.
func takeBuf(n int) (b []float32, reused bool) {
	gradPool.Lock()
	if l := gradPool.free[n]; len(l) > 0 {
		b = l[len(l)-1]
		gradPool.free[n] = l[:len(l)-1]
		gradPool.held -= n
		gradPool.Unlock()
		return b, true
	}
	gradPool.Unlock()
	return make([]float32, n), false
}

// putBuf hands a buffer nobody references any more back to the pool.
func putBuf(b []float32) {
	n := len(b)
	if n < 1024 {
		return // small buffers are cheap to allocate
	}
	gradPool.Lock()
	if gradPool.held+n <= poolCap {
		gradPool.free[n] = append(gradPool.free[n], b[:n:n])
		gradPool.held += n
	}
	gradPool.Unlock()
}

// ReleaseBuffers drops every recycled gradient buffer (for example after
// training, before a long inference phase).
func ReleaseBuffers() {
	gradPool.Lock()
	gradPool.free = map[int][][]float32{}
	gradPool.held = 0
	gradPool.Unlock()
}
