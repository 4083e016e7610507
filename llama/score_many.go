package llama

import "fmt"

// ScoreItem is one prompt and the continuations to score after it (Runner.ScoreMany).
type ScoreItem struct {
	Prompt []int
	Conts  [][]int
}

// Budgets of one ScoreMany batch: the prompt rows prefilled (shared prefixes
// once; the Runner's activation buffers grow with them: about 135 kB a row for
// the Llama-3.2-1B shape, 155 kB for 3B, as with Score's continuation passes of
// up to scoreRowBudget rows) and the bytes of the batch's KV caches (one per
// item, prompt and longest continuation: 64 kB a position for 1B, 229 kB for
// 3B). Tests lower them.
var (
	scoreManyRows    = 1024
	scoreManyKVBytes = int64(256 << 20)
)

// scoreExactRows: a pass of more than this many rows runs every matrix
// product on the blocked GEMM path (kernels: the few-rows kernels serve at
// most 64 rows), whose per-element results do not depend on the other rows
// of the pass. ScoreMany batches only items whose own passes are that large,
// so its scores equal Score's bit for bit; other items are scored alone.
const scoreExactRows = 64

// ScoreMany scores many prompts with their continuations: out[i] equals
// Score(items[i].Prompt, items[i].Conts) bit for bit, but the prompts of a
// batch of consecutive items (bounded by scoreManyRows and scoreManyKVBytes)
// are prefilled together, a prefix that consecutive prompts share only once
// (prefixGroups), and their continuations run in shared passes; so short
// prompts still make passes of many rows, and prompts that differ only at the
// end cost little more than one. Invalid input (an empty prompt, a token
// outside the vocabulary) returns an error before anything runs.
func (r *Runner) ScoreMany(items []ScoreItem) ([][]Score, error) {
	V := r.m.dims.vocab
	for i, it := range items {
		if len(it.Prompt) == 0 {
			return nil, fmt.Errorf("llama: score: item %d: empty prompt", i)
		}
		for j, t := range it.Prompt {
			if t < 0 || t >= V {
				return nil, fmt.Errorf("llama: score: item %d prompt token %d: id %d outside the vocabulary [0,%d)", i, j, t, V)
			}
		}
		for c, cont := range it.Conts {
			for j, t := range cont {
				if t < 0 || t >= V {
					return nil, fmt.Errorf("llama: score: item %d continuation %d token %d: id %d outside the vocabulary [0,%d)", i, c, j, t, V)
				}
			}
		}
	}
	out := make([][]Score, len(items))
	var pool []*KVCache // the batches' prompt caches, reused from batch to batch
	for i := 0; i < len(items); {
		if !r.batchable(items[i]) {
			sc, err := r.Score(items[i].Prompt, items[i].Conts)
			if err != nil {
				return nil, fmt.Errorf("llama: score: item %d: %w", i, err)
			}
			out[i] = sc
			i++
			continue
		}
		j, rows, kv := i, 0, int64(0)
		for ; j < len(items) && r.batchable(items[j]); j++ {
			// Rows and KV memory of the item; with a prefix shared with the previous
			// item (an estimate of scoreBatch's grouping), only its suffix is prefilled.
			n, b := len(items[j].Prompt), r.itemKVBytes(items[j])
			if j > i {
				if l := r.sharedPrefix(items[j-1].Prompt, items[j].Prompt); l > 0 {
					n -= l
				}
			}
			if j > i && (rows+n > scoreManyRows || kv+b > scoreManyKVBytes) {
				break
			}
			rows += n
			kv += b
		}
		if err := r.scoreBatch(items[i:j], out[i:j], &pool); err != nil {
			return nil, err
		}
		i = j
	}
	return out, nil
}

// contRows is the number of continuation rows Score runs for conts (every
// token but the last of each) and the number of continuations that have any.
func contRows(conts [][]int) (rows, seqs int) {
	for _, c := range conts {
		if len(c) > 1 {
			rows += len(c) - 1
			seqs++
		}
	}
	return rows, seqs
}

// batchable reports whether an item's passes in Score are each on the blocked
// GEMM path (its prompt, and its continuations in a single pass), so that the
// item can share passes with others without changing a bit of its scores.
func (r *Runner) batchable(it ScoreItem) bool {
	rows, seqs := contRows(it.Conts)
	if len(it.Prompt) <= scoreExactRows || rows > 0 && (rows <= scoreExactRows || rows > scoreRowBudget || seqs > scoreSeqBudget) {
		return false
	}
	// Beyond the position limit Score reports the error.
	return r.m.dims.maxPos <= 0 || len(it.Prompt)+longestCont(it.Conts) <= r.m.dims.maxPos
}

func longestCont(conts [][]int) int {
	n := 0
	for _, c := range conts {
		n = max(n, len(c))
	}
	return n
}

// itemCacheLen is the positions of an item's KV cache in ScoreMany: its prompt and the
// tokens its longest continuation feeds (the continuations run on it one after another,
// see scoreConts).
func itemCacheLen(it ScoreItem) int {
	return len(it.Prompt) + max(longestCont(it.Conts)-1, 0)
}

// kvBytes is the memory of a cache of n positions.
func (r *Runner) kvBytes(n int) int64 {
	return int64(n) * int64(r.m.dims.layers) * int64(2*r.m.dims.kvDim) * 4
}

// itemKVBytes is the KV cache memory ScoreMany holds for an item.
func (r *Runner) itemKVBytes(it ScoreItem) int64 { return r.kvBytes(itemCacheLen(it)) }

// scoreBatch scores batchable items into out. The prompts are prefilled in one pass, or
// two when consecutive prompts share a prefix (prefixGroups: each prefix once, then the
// suffixes on copies of its cache); the first continuation token of each item comes from
// its prompt's last logits (one GEMV per item, as Forward computes it for a lone prompt);
// the other continuation tokens run in shared passes (scoreConts).
func (r *Runner) scoreBatch(items []ScoreItem, out [][]Score, pool *[]*KVCache) error {
	m, d := r.m, r.m.dims
	V, H := d.vocab, d.hidden
	prefix, group := r.prefixGroups(items)
	suffixRows := 0
	for i, p := range prefix {
		if p > 0 {
			suffixRows += len(items[i].Prompt) - p
		}
	}
	if suffixRows <= scoreExactRows {
		// A suffix pass this small would leave the blocked GEMM path: no sharing.
		clear(prefix)
	}
	for len(*pool) < len(items) {
		*pool = append(*pool, nil)
	}
	caches := (*pool)[:len(items)]
	for i, it := range items {
		if n := itemCacheLen(it); caches[i] == nil || caches[i].Cap() < n {
			caches[i] = m.NewKVCache(n)
		}
		caches[i].Reset()
	}
	// first sets item i's first continuation tokens from its prompt's last normed
	// hidden state, row k of r.xn.
	first := func(i, k int) {
		r.logits = grow(r.logits, V)
		m.LMHead.MulT(1, r.xn[k*H:], 0, r.logits, m.AllowBF16Dot)
		lse := logSumExp(r.logits, 1)
		out[i] = make([]Score, len(items[i].Conts))
		for c, cont := range items[i].Conts {
			out[i][c].TokenLogProbs = make([]float64, len(cont))
			if len(cont) > 0 {
				out[i][c].TokenLogProbs[0] = float64(r.logits[cont[0]]) - lse
			}
		}
	}
	// Pass 1: whole prompts and shared prefixes (one per run, on its first item's cache).
	var seqs []Seq
	var rowItem []int // item whose prompt ends at pass-1 row k, -1 for a prefix
	for i, it := range items {
		switch {
		case prefix[i] == 0:
			seqs = append(seqs, Seq{Cache: caches[i], Tokens: it.Prompt})
			rowItem = append(rowItem, i)
		case i == 0 || group[i-1] != group[i]:
			seqs = append(seqs, Seq{Cache: caches[i], Tokens: it.Prompt[:prefix[i]]})
			rowItem = append(rowItem, -1)
		}
	}
	if _, err := r.forwardHidden(seqs); err != nil {
		return err
	}
	for k, i := range rowItem {
		if i >= 0 {
			first(i, k)
		}
	}
	// Pass 2: the suffixes of the shared prompts.
	seqs, rowItem = seqs[:0], rowItem[:0]
	for i, it := range items {
		if prefix[i] == 0 {
			continue
		}
		if i == 0 || group[i-1] != group[i] {
			// The run's other items copy the prefix before its first item extends it.
			for j := i + 1; j < len(items) && group[j] == group[i]; j++ {
				if err := caches[j].CopyFrom(caches[i]); err != nil {
					return err
				}
			}
		}
		seqs = append(seqs, Seq{Cache: caches[i], Tokens: it.Prompt[prefix[i]:]})
		rowItem = append(rowItem, i)
	}
	if len(seqs) > 0 {
		if _, err := r.forwardHidden(seqs); err != nil {
			return err
		}
		for k, i := range rowItem {
			first(i, k)
		}
	}
	if err := r.scoreConts(items, caches, out); err != nil {
		return err
	}
	for i := range out {
		for c := range out[i] {
			var s float64
			for _, v := range out[i][c].TokenLogProbs {
				s += v
			}
			out[i][c].LogProb = s
		}
	}
	return nil
}
