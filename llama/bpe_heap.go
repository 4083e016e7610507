package llama

import "container/heap"

// bpeHeapThreshold: pieces at least this long use the O(n log n) heap merge instead of the
// simple O(n^2) scan (long runs of spaces or symbols are single pre-tokens).
const bpeHeapThreshold = 64

type bpeCand struct {
	rank       int32
	start      int32 // byte offset of the left part: leftmost wins among equal ranks
	left       int32
	verL, verR uint32
	result     int32
}

type bpeHeap []bpeCand

func (h bpeHeap) Len() int { return len(h) }
func (h bpeHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].start < h[j].start
}
func (h bpeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *bpeHeap) Push(x any)   { *h = append(*h, x.(bpeCand)) }
func (h *bpeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// bpeLong merges like bpe (lowest priority first, leftmost among ties) using a linked list
// of parts and a heap of candidate pairs with lazy invalidation.
func (t *Tokenizer) bpeLong(piece []byte) []int {
	n := len(piece)
	start := make([]int32, n)
	end := make([]int32, n)
	id := make([]int32, n)
	prev := make([]int32, n)
	next := make([]int32, n)
	ver := make([]uint32, n)
	for i := 0; i < n; i++ {
		start[i], end[i] = int32(i), int32(i+1)
		id[i] = int32(t.byteID[piece[i]])
		prev[i], next[i] = int32(i-1), int32(i+1)
	}
	next[n-1] = -1
	h := make(bpeHeap, 0, n)
	push := func(l int32) {
		if l < 0 || next[l] < 0 {
			return
		}
		r := next[l]
		var rank, res int32 = -1, -1
		switch t.mode {
		case bpeMerges:
			if v, ok := t.merges[mergeKey{id[l], id[r]}]; ok {
				rank, res = v.rank, v.result
			}
		default:
			if v, ok := t.encoder[string(piece[start[l]:end[r]])]; ok {
				rank, res = int32(v), int32(v)
			}
		}
		if rank >= 0 {
			h = append(h, bpeCand{rank: rank, start: start[l], left: l, verL: ver[l], verR: ver[r], result: res})
		}
	}
	for i := 0; i < n-1; i++ {
		push(int32(i))
	}
	heap.Init(&h)
	for h.Len() > 0 {
		c := heap.Pop(&h).(bpeCand)
		l := c.left
		r := next[l]
		if r < 0 || ver[l] != c.verL || ver[r] != c.verR {
			continue // stale
		}
		id[l] = c.result
		end[l] = end[r]
		next[l] = next[r]
		if next[r] >= 0 {
			prev[next[r]] = l
		}
		ver[l]++
		ver[r]++ // dead
		before := len(h)
		push(prev[l])
		push(l)
		for k := before; k < len(h); k++ {
			heap.Fix(&h, k)
		}
	}
	var out []int
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, int(id[i]))
	}
	return out
}
