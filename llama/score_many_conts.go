package llama

import "github.com/popi-go/popi/kernels"

// contRef is one continuation of a ScoreMany batch: an item and an index into its Conts.
type contRef struct{ item, cont int }

// contPasses plans the continuation passes of a ScoreMany batch (continuations of one
// token or none need no pass). The usual plan runs in rounds: round k holds the k-th
// continuation with rows of every item, on the item's own prompt cache (truncated back to
// the prompt between rounds), so an item holds a single cache; a round is split into
// passes of at most scoreRowBudget rows. If some such pass had scoreExactRows rows or
// fewer (off the blocked GEMM path, so not bit for bit Score's), copies is set and the
// passes hold whole items instead, all continuations of an item in one pass as in Score
// (their rows are more than scoreExactRows: batchable), every one but the last on a copy
// of the prompt cache; such a pass also keeps its copies within scoreManyKVBytes.
func (r *Runner) contPasses(items []ScoreItem) (passes [][]contRef, copies bool) {
	withRows := make([][]int, len(items))
	rounds := 0
	for i, it := range items {
		for c, cont := range it.Conts {
			if len(cont) > 1 {
				withRows[i] = append(withRows[i], c)
			}
		}
		rounds = max(rounds, len(withRows[i]))
	}
	exact := true
	for k := 0; k < rounds; k++ {
		var pass []contRef
		rows := 0
		for i := range items {
			if k >= len(withRows[i]) {
				continue
			}
			n := len(items[i].Conts[withRows[i][k]]) - 1
			if len(pass) > 0 && rows+n > scoreRowBudget {
				exact = exact && rows > scoreExactRows
				passes = append(passes, pass)
				pass, rows = nil, 0
			}
			pass = append(pass, contRef{i, withRows[i][k]})
			rows += n
		}
		exact = exact && rows > scoreExactRows
		passes = append(passes, pass)
	}
	if exact {
		return passes, false
	}
	passes = passes[:0]
	var pass []contRef
	rows, kv := 0, int64(0)
	for i, it := range items {
		if len(withRows[i]) == 0 {
			continue
		}
		n, _ := contRows(it.Conts)
		var b int64
		for _, c := range withRows[i][:len(withRows[i])-1] {
			b += r.kvBytes(len(it.Prompt) + len(it.Conts[c]) - 1)
		}
		if len(pass) > 0 && (rows+n > scoreRowBudget || kv+b > scoreManyKVBytes) {
			passes = append(passes, pass)
			pass, rows, kv = nil, 0, 0
		}
		for _, c := range withRows[i] {
			pass = append(pass, contRef{i, c})
		}
		rows += n
		kv += b
	}
	if len(pass) > 0 {
		passes = append(passes, pass)
	}
	return passes, true
}

// scoreConts fills in the continuation tokens after the first of a ScoreMany batch whose
// prompts are in caches (contPasses plans the passes): the logits of a pass are computed
// in row chunks (scoreChunks) and each row's log-sum-exp spread over the worker pool, as in
// Score.
func (r *Runner) scoreConts(items []ScoreItem, caches []*KVCache, out [][]Score) error {
	m, V, H := r.m, r.m.dims.vocab, r.m.dims.hidden
	passes, copies := r.contPasses(items)
	type rowRef struct{ item, cont, pos int }
	var refs []rowRef
	var seqs []Seq
	for _, pass := range passes {
		seqs, refs = seqs[:0], refs[:0]
		for k, cr := range pass {
			it := items[cr.item]
			cont := it.Conts[cr.cont]
			cache := caches[cr.item]
			if copies && k+1 < len(pass) && pass[k+1].item == cr.item {
				// Not the item's last continuation: a copy of its prompt cache.
				cache = m.NewKVCache(len(it.Prompt) + len(cont) - 1)
				if err := cache.CopyFrom(caches[cr.item]); err != nil {
					return err
				}
			} else if err := cache.Truncate(len(it.Prompt)); err != nil {
				return err
			}
			seqs = append(seqs, Seq{Cache: cache, Tokens: cont[:len(cont)-1], AllLogits: true})
			for j := 1; j < len(cont); j++ {
				refs = append(refs, rowRef{cr.item, cr.cont, j})
			}
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
	return nil
}
