package llama

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/kernels"
)

// Score is the log-probability of one continuation given its prompt.
type Score struct {
	// LogProb is the sum of TokenLogProbs (accumulated in float64).
	LogProb float64
	// TokenLogProbs[j] = log p(cont[j] | prompt, cont[:j]).
	TokenLogProbs []float64
}

// scoreRowBudget bounds the logit rows, and scoreSeqBudget the prefix
// copies (KV caches), of one batched scoring pass.
const (
	scoreRowBudget = 1024
	scoreSeqBudget = 32
)

// scoreLogitElems bounds the logits (rows x vocabulary) one scoring pass
// holds at once (128 MB); tests lower it. With the 128k LLaMA-3
// vocabulary a pass of scoreRowBudget rows would otherwise hold 0.5 GB.
var scoreLogitElems = 32 << 20

// scoreMinChunkRows is the smallest chunk target: chunks of more than 64
// rows keep the output-projection GEMM on its blocked path, whose
// per-element results do not depend on the row count, so chunked scores
// equal unchunked ones bit for bit (TestScoreChunkedLogits checks it).
const scoreMinChunkRows = 256

// scoreChunks splits rows logit rows into near-equal chunks of at most
// scoreLogitElems logits (at least scoreMinChunkRows rows) and returns the
// chunk bounds.
func scoreChunks(rows, vocab int) []int {
	target := max(scoreMinChunkRows, scoreLogitElems/max(vocab, 1))
	if rows <= target {
		return []int{0, rows}
	}
	n := (rows + target - 1) / target
	b := make([]int, n+1)
	for i := range b {
		b[i] = i * rows / n
	}
	return b
}

// Score computes the log-probabilities of continuations after prompt; only
// continuation tokens count. The prompt is prefilled once and its KV cache
// shared: each continuation runs on a copy of that prefix, batched with the
// others. An empty continuation scores 0.
func (r *Runner) Score(prompt []int, conts [][]int) ([]Score, error) {
	return r.ScoreTemp(prompt, conts, 1)
}

// ScoreTemp is Score for the temperature-scaled distribution
// softmax(logits / temperature), the one temperature sampling draws from
// (temperature 0 or 1: plain log-probs).
func (r *Runner) ScoreTemp(prompt []int, conts [][]int, temperature float64) ([]Score, error) {
	return r.scoreTemp(prompt, nil, conts, temperature)
}

// scoreTemp is ScoreTemp with the prompt's input embeddings overridden by inj.
func (r *Runner) scoreTemp(prompt []int, inj []Injection, conts [][]int, temperature float64) ([]Score, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("llama: score: empty prompt")
	}
	if math.IsNaN(temperature) || math.IsInf(temperature, 0) || temperature < 0 {
		return nil, fmt.Errorf("llama: score: bad temperature %v", temperature)
	}
	inv := 1.0
	if temperature > 0 {
		inv = 1 / temperature
	}
	V, H := r.m.dims.vocab, r.m.dims.hidden
	for i, c := range conts {
		for j, t := range c {
			if t < 0 || t >= V {
				return nil, fmt.Errorf("llama: score: continuation %d token %d: id %d outside the vocabulary [0,%d)", i, j, t, V)
			}
		}
	}
	longest := 0
	for _, c := range conts {
		longest = max(longest, len(c))
	}
	base := r.m.NewKVCache(len(prompt) + longest)
	b := []Seq{{Cache: base, Tokens: prompt, Inject: inj}}
	if err := r.Forward(b); err != nil {
		return nil, err
	}
	b[0].Inject = nil // the continuation passes below reuse b
	first := append([]float32(nil), b[0].Logits...)
	firstLSE := logSumExp(first, inv)

	out := make([]Score, len(conts))
	for i, c := range conts {
		out[i].TokenLogProbs = make([]float64, len(c))
		if len(c) > 0 {
			out[i].TokenLogProbs[0] = float64(first[c[0]])*inv - firstLSE
		}
	}
	// Feed cont[:len-1] (the last token's logits are never needed) on
	// copies of the prompt cache, several continuations per pass.
	var caches []*KVCache
	var rowSeq, rowPos []int // logit rows of a pass: batch entry, token index
	for lo := 0; lo < len(conts); {
		batch := b[:0]
		idx := []int{}
		rows := 0
		hi := lo
		for ; hi < len(conts); hi++ {
			n := len(conts[hi]) - 1
			if n <= 0 {
				continue
			}
			if rows > 0 && (rows+n > scoreRowBudget || len(batch) >= scoreSeqBudget) {
				break
			}
			k := len(batch)
			if k >= len(caches) {
				caches = append(caches, r.m.NewKVCache(len(prompt)+longest))
			}
			if err := caches[k].CopyFrom(base); err != nil {
				return nil, err
			}
			batch = append(batch, Seq{Cache: caches[k], Tokens: conts[hi][:n], AllLogits: true})
			idx = append(idx, hi)
			rows += n
		}
		lo = hi
		if len(batch) == 0 {
			continue
		}
		rows, err := r.forwardHidden(batch)
		if err != nil {
			return nil, err
		}
		// One log-sum-exp per logit row (V float64 exponentials each):
		// spread the rows over the worker pool. The logits are computed
		// in row chunks (scoreChunks), never all rows at once.
		rowSeq = rowSeq[:0]
		rowPos = rowPos[:0]
		for k := range batch {
			for j := 1; j < len(conts[idx[k]]); j++ {
				rowSeq = append(rowSeq, k)
				rowPos = append(rowPos, j)
			}
		}
		bounds := scoreChunks(rows, V)
		for c := 0; c+1 < len(bounds); c++ {
			c0, n := bounds[c], bounds[c+1]-bounds[c]
			r.logits = grow(r.logits, n*V)
			r.m.LMHead.MulT(n, r.xn[c0*H:], 0, r.logits, r.m.AllowBF16Dot)
			logits := r.logits
			kernels.ParallelFor(n, 4, func(lo, hi int) {
				for q := lo; q < hi; q++ {
					k, j := rowSeq[c0+q], rowPos[c0+q]
					c := conts[idx[k]]
					row := logits[q*V : (q+1)*V]
					out[idx[k]].TokenLogProbs[j] = float64(row[c[j]])*inv - logSumExp(row, inv)
				}
			})
		}
	}
	for i := range out {
		var s float64
		for _, v := range out[i].TokenLogProbs {
			s += v
		}
		out[i].LogProb = s
	}
	return out, nil
}

// Score is Runner.Score on a fresh Runner.
func (m *Model) Score(prompt []int, conts [][]int) ([]Score, error) {
	return m.NewRunner().Score(prompt, conts)
}

// logSumExp returns log(sum(exp(scale*x))). The maximum, each argument
// scale*x[i]-max and the sum are float64; the exponentials (arguments <= 0,
// rounded to float32) use the vector kernel (relative error <= 2e-7), so a
// row of the 128k Llama-3 vocabulary costs a fraction of V math.Exp calls.
// An absolute error of about 1e-6 remains, far below the rounding of the
// float32 logits themselves.
func logSumExp(x []float32, scale float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, float64(v)*scale)
	}
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		return mx
	}
	var buf [lseChunk]float32
	var s float64
	for lo := 0; lo < len(x); lo += lseChunk {
		c := x[lo:min(lo+lseChunk, len(x))]
		t := buf[:len(c)]
		for i, v := range c {
			t[i] = float32(float64(v)*scale - mx)
		}
		kernels.Exp(t, t)
		var cs float64
		for _, e := range t {
			cs += float64(e)
		}
		s += cs
	}
	return mx + math.Log(s)
}

// lseChunk is the stack buffer of logSumExp (in float32s).
const lseChunk = 512

// ScoreSeqs scores a batch of (prompt, completion) pairs at temperature
// (see ScoreTemp). Pairs with identical prompts share one prefill; results
// are in input order.
func (r *Runner) ScoreSeqs(seqs []TrainSeq, temperature float64) ([]Score, error) {
	out := make([]Score, len(seqs))
	groups := map[string][]int{}
	var order []string
	for i, s := range seqs {
		k := fmt.Sprint(s.Prompt)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		conts := make([][]int, len(idx))
		for j, i := range idx {
			conts[j] = seqs[i].Completion
		}
		sc, err := r.ScoreTemp(seqs[idx[0]].Prompt, conts, temperature)
		if err != nil {
			return nil, fmt.Errorf("sequence %d: %w", idx[0], err)
		}
		for j, i := range idx {
			out[i] = sc[j]
		}
	}
	return out, nil
}

// ScoreSeqs is Runner.ScoreSeqs on a fresh Runner.
func (m *Model) ScoreSeqs(seqs []TrainSeq, temperature float64) ([]Score, error) {
	return m.NewRunner().ScoreSeqs(seqs, temperature)
}
