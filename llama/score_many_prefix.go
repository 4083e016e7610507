package llama

// sharedPrefix is the length of the prompt prefix ScoreMany may prefill once for prompts
// a and b (their common prefix, leaving each at least one token), or 0. Sharing keeps the
// scores bit for bit: the prefix (more than scoreExactRows rows) runs on the blocked GEMM
// path like the whole prompt, and each suffix has enough query rows per KV head (with the
// query-head group) for attention to take the tiled path with K transposed, as the whole
// prompt's pass does (kernels: AttnShape.attnTransposed, 64 rows); the prefix is a
// multiple of the kernel's query block (scoreAttnBlock), so the suffix's query blocks, and
// the key tiles each block visits, are the whole prompt's. Every row's arithmetic is then
// unchanged. The suffix pass itself is checked in scoreBatch.
func (r *Runner) sharedPrefix(a, b []int) int {
	n := 0
	for n < len(a)-1 && n < len(b)-1 && a[n] == b[n] {
		n++
	}
	n -= n % scoreAttnBlock
	if n <= scoreExactRows || !r.suffixOK(len(a)-n) || !r.suffixOK(len(b)-n) {
		return 0
	}
	return n
}

// suffixOK reports whether a prompt suffix of n rows runs attention on the same path as a
// whole prompt of more than scoreExactRows rows.
func (r *Runner) suffixOK(n int) bool {
	return n*(r.m.dims.heads/r.m.dims.kvHeads) >= scoreAttnRows
}

// scoreAttnRows is the number of query rows times query heads per KV head from which the
// attention kernel runs its transposed-K path (kernels' AttnShape.attnTransposed).
const scoreAttnRows = 64

// scoreAttnBlock is the attention kernel's query block (kernels' attnBq): query rows are
// processed in blocks of this many from the call's first row, each against the key tiles
// up to its last row's position.
const scoreAttnBlock = 16

// prefixGroups splits items into runs of consecutive items whose prompts share a prefix
// (sharedPrefix of each with the run's first, shrunk to the run's common prefix), greedily,
// an item joining the run when that saves prefill rows; it returns each item's prefix
// length (0: not shared) and run index.
func (r *Runner) prefixGroups(items []ScoreItem) (prefix, group []int) {
	prefix, group = make([]int, len(items)), make([]int, len(items))
	g := 0
	for a := 0; a < len(items); g++ {
		l := 0
		b := a + 1
		for ; b < len(items); b++ {
			k := r.sharedPrefix(items[a].Prompt, items[b].Prompt)
			if l > 0 {
				k = min(k, l)
			}
			// Shrinking the prefix lengthens every suffix, so the run stays valid; it
			// takes item b only if that saves rows: the run's n items then share k
			// rows instead of n-1 of them sharing l (otherwise b may start a run
			// with a longer prefix, as the next summary's prompts do).
			if n := b - a; k == 0 || n*k <= (n-1)*l {
				break
			}
			l = k
		}
		for i := a; i < b; i++ {
			group[i] = g
			if b-a > 1 {
				prefix[i] = l
			}
		}
		a = b
	}
	return prefix, group
}
