package llama

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// ScoreItem is one prompt and the continuations to score after it (Runner.ScoreMany).
type ScoreItem struct {
	Prompt []int
	Conts  [][]int
}

// Budgets of one ScoreMany batch: the prompt rows prefilled in one pass (the
// Runner's activation buffers grow with them: about 135 kB a row for the
// Llama-3.2-1B shape, 155 kB for 3B) and the bytes of the batch's KV caches
// (a prompt cache per item and a copy per further continuation). Tests lower
// them.
var (
	scoreManyRows    = 1024
	scoreManyKVBytes = int64(192 << 20)
)

// scoreExactRows: a pass of more than this many rows runs every matrix
// product on the blocked GEMM path (kernels: the few-rows kernels serve at
// most 64 rows), whose per-element results do not depend on the other rows
// of the pass. ScoreMany batches only items whose own passes are that large,
// so its scores equal Score's bit for bit; other items are scored alone.
const scoreExactRows = 64

// ScoreMany scores many prompts with their continuations: out[i] equals
// Score(items[i].Prompt, items[i].Conts) bit for bit, but the prompts of a
// batch of items are prefilled in one forward pass and all their
// continuations run in shared passes (bounded by scoreManyRows and
// scoreManyKVBytes), so short prompts still make passes of many rows. Invalid
// input (an empty prompt, a token outside the vocabulary) returns an error
// before anything runs.
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
			n, b := len(items[j].Prompt), r.itemKVBytes(items[j])
			if j > i && (rows+n > scoreManyRows || kv+b > scoreManyKVBytes) {
				break
			}
			rows += n
			kv += b
		}
		if err := r.scoreBatch(items[i:j], out[i:j]); err != nil {
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

// itemKVBytes is the KV cache memory ScoreMany holds for an item: the prompt's
// cache and a copy for each further continuation with rows, each with room for
// the prompt and the longest continuation.
func (r *Runner) itemKVBytes(it ScoreItem) int64 {
	_, seqs := contRows(it.Conts)
	d := r.m.dims
	per := int64(len(it.Prompt)+longestCont(it.Conts)) * int64(d.layers) * int64(2*d.kvDim) * 4
	return per * int64(max(seqs, 1))
}

// scoreBatch scores batchable items into out: one prefill of all prompts, the
// first continuation token of each from its prompt's last logits (one GEMV
// per item, as Forward computes it for a lone prompt), then the other tokens
// in passes of whole items of at most scoreRowBudget rows.
func (r *Runner) scoreBatch(items []ScoreItem, out [][]Score) error {
	m, d := r.m, r.m.dims
	V, H := d.vocab, d.hidden
	// caches[i][0] is item i's prompt cache; the others are copies for its
	// further continuations with rows (the last such one runs on the original).
	caches := make([][]*KVCache, len(items))
	batch := make([]Seq, len(items))
	for i, it := range items {
		caches[i] = []*KVCache{m.NewKVCache(len(it.Prompt) + longestCont(it.Conts))}
		batch[i] = Seq{Cache: caches[i][0], Tokens: it.Prompt}
	}
	if _, err := r.forwardHidden(batch); err != nil {
		return err
	}
	r.logits = grow(r.logits, V)
	for i, it := range items {
		m.LMHead.MulT(1, r.xn[i*H:], 0, r.logits, m.AllowBF16Dot)
		lse := logSumExp(r.logits, 1)
		out[i] = make([]Score, len(it.Conts))
		for c, cont := range it.Conts {
			out[i][c].TokenLogProbs = make([]float64, len(cont))
			if len(cont) > 0 {
				out[i][c].TokenLogProbs[0] = float64(r.logits[cont[0]]) - lse
			}
		}
	}
	type rowRef struct{ item, cont, pos int }
	var refs []rowRef
	for lo := 0; lo < len(items); {
		hi, rows := lo, 0
		for ; hi < len(items); hi++ {
			n, _ := contRows(items[hi].Conts)
			if hi > lo && rows+n > scoreRowBudget {
				break
			}
			rows += n
		}
		seqs := batch[:0]
		refs = refs[:0]
		for i := lo; i < hi; i++ {
			it := items[i]
			_, nseq := contRows(it.Conts)
			k := 0
			for c, cont := range it.Conts {
				if len(cont) <= 1 {
					continue
				}
				cache := caches[i][0]
				if k < nseq-1 {
					cache = m.NewKVCache(len(it.Prompt) + longestCont(it.Conts))
					if err := cache.CopyFrom(caches[i][0]); err != nil {
						return err
					}
				}
				k++
				seqs = append(seqs, Seq{Cache: cache, Tokens: cont[:len(cont)-1], AllLogits: true})
				for j := 1; j < len(cont); j++ {
					refs = append(refs, rowRef{i, c, j})
				}
			}
		}
		lo = hi
		if len(seqs) == 0 {
			continue
		}
		n, err := r.forwardHidden(seqs)
		if err != nil {
			return err
		}
		bounds := scoreChunks(n, V)
		for c := 0; c+1 < len(bounds); c++ {
			c0, nr := bounds[c], bounds[c+1]-bounds[c]
			r.logits = grow(r.logits, nr*V)
			m.LMHead.MulT(nr, r.xn[c0*H:], 0, r.logits, m.AllowBF16Dot)
			logits := r.logits
			kernels.ParallelFor(nr, 4, func(a, b int) {
				for q := a; q < b; q++ {
					rf := refs[c0+q]
					row := logits[q*V : (q+1)*V]
					tok := items[rf.item].Conts[rf.cont][rf.pos]
					out[rf.item][rf.cont].TokenLogProbs[rf.pos] = float64(row[tok]) - logSumExp(row, 1)
				}
			})
		}
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
