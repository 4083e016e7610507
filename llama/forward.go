package llama

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/kernels"
)

// Seq is one sequence of a batched inference forward pass: Tokens are
// appended after the positions already in Cache.
type Seq struct {
	Cache  *KVCache
	Tokens []int
	// AllLogits asks for a logit row per token; otherwise only the last
	// token's row is computed.
	AllLogits bool
	// Inject replaces the input embeddings of some Tokens by given vectors
	// (a learned latent in place of a token, see inject.go).
	Inject []Injection
	// Logits is set by Forward: len(Tokens) or 1 rows of Vocab values,
	// row-major. It points into the Runner's buffer and is valid until the
	// Runner's next call.
	Logits []float32
}

// Runner runs the inference forward pass of a Model with reusable scratch
// buffers: once warmed up, decoding allocates nothing per token. A Runner
// is not safe for concurrent use; make one per goroutine (the Model itself
// is shared read-only).
type Runner struct {
	m    *Model
	rows int // capacity in token rows

	x, xn, qkv, att, gu, act []float32
	pos                      []int // position of each token row
	logits                   []float32
	loraT                    []float32 // adapter scratch: rows x rank

	cos, sin []float32 // RoPE table [ropeLen][headDim/2]
	ropeLen  int
	jobs     []attnJob
	attnFn   func(lo, hi int) // r.runAttention, bound once

	// per-token loops of a layer (see perRow), bound once
	normFn, ropeFn, swigluFn func(lo, hi int)
	curNorm                  []float32 // the norm weight normFn applies
}

type attnJob struct {
	shape      kernels.AttnShape
	q, k, v, o []float32
}

// NewRunner returns a Runner for m.
func (m *Model) NewRunner() *Runner {
	r := &Runner{m: m}
	r.attnFn = r.runAttention
	r.normFn, r.ropeFn, r.swigluFn = r.normRows, r.ropeRows, r.swigluRows
	return r
}

func (r *Runner) runAttention(lo, hi int) {
	for _, j := range r.jobs[lo:hi] {
		kernels.Attention(j.shape, j.q, j.k, j.v, j.o, nil)
	}
}

// Model returns the runner's model.
func (r *Runner) Model() *Model { return r.m }

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func (r *Runner) ensureRows(n int) {
	if n <= r.rows {
		return
	}
	d := r.m.dims
	r.x = grow(r.x, n*d.hidden)
	r.xn = grow(r.xn, n*d.hidden)
	r.qkv = grow(r.qkv, n*(d.qDim+2*d.kvDim))
	r.att = grow(r.att, n*d.qDim)
	r.gu = grow(r.gu, n*2*d.inter)
	r.act = grow(r.act, n*d.inter)
	if cap(r.pos) < n {
		r.pos = make([]int, n)
	}
	r.pos = r.pos[:n]
	r.rows = n
}

// ensureRoPE extends the cos/sin table to cover positions < n.
func (r *Runner) ensureRoPE(n int) {
	if n <= r.ropeLen {
		return
	}
	half := r.m.dims.headDim / 2
	size := max(n, 2*r.ropeLen, 64)
	if r.m.dims.maxPos > 0 {
		size = min(size, r.m.dims.maxPos)
	}
	size = max(size, n)
	cos := make([]float32, size*half)
	sin := make([]float32, size*half)
	copy(cos, r.cos)
	copy(sin, r.sin)
	for p := r.ropeLen; p < size; p++ {
		ropeAngles(r.m.invFreq, p, cos[p*half:(p+1)*half], sin[p*half:(p+1)*half])
	}
	r.cos, r.sin, r.ropeLen = cos, sin, size
}

// check validates a batch before any state changes.
func (r *Runner) check(batch []Seq) (tokens, logitRows int, err error) {
	d := r.m.dims
	for i := range batch {
		s := &batch[i]
		if s.Cache == nil {
			return 0, 0, fmt.Errorf("llama: forward: sequence %d has no KV cache", i)
		}
		if len(s.Cache.K) != d.layers || s.Cache.kvDim != d.kvDim {
			return 0, 0, fmt.Errorf("llama: forward: sequence %d: KV cache belongs to a model of another shape", i)
		}
		if len(s.Tokens) == 0 {
			return 0, 0, fmt.Errorf("llama: forward: sequence %d has no tokens", i)
		}
		for j, t := range s.Tokens {
			if t < 0 || t >= d.vocab {
				return 0, 0, fmt.Errorf("llama: forward: sequence %d token %d: id %d outside the vocabulary [0,%d)", i, j, t, d.vocab)
			}
		}
		if d.maxPos > 0 && s.Cache.len+len(s.Tokens) > d.maxPos {
			return 0, 0, fmt.Errorf("llama: forward: sequence %d reaches position %d, beyond max_position_embeddings %d", i, s.Cache.len+len(s.Tokens), d.maxPos)
		}
		for j := 0; j < i; j++ {
			if batch[j].Cache == s.Cache {
				return 0, 0, fmt.Errorf("llama: forward: sequences %d and %d share one KV cache", j, i)
			}
		}
		if err := checkInjections(s.Inject, len(s.Tokens), d.hidden); err != nil {
			return 0, 0, fmt.Errorf("llama: forward: sequence %d: %w", i, err)
		}
		tokens += len(s.Tokens)
		if s.AllLogits {
			logitRows += len(s.Tokens)
		} else {
			logitRows++
		}
	}
	return tokens, logitRows, nil
}

// Forward runs the batch through the model: every sequence's tokens are
// appended to its cache, and Seq.Logits receives the requested logit rows.
// All token rows of the batch share each matrix multiplication; attention
// runs per sequence against its own cache. Invalid input returns an error
// before any cache is modified.
func (r *Runner) Forward(batch []Seq) error {
	logitRows, err := r.forwardHidden(batch)
	if err != nil {
		return err
	}
	m, d := r.m, r.m.dims
	r.logits = grow(r.logits, logitRows*d.vocab)
	m.LMHead.MulT(logitRows, r.xn, 0, r.logits, m.AllowBF16Dot)
	out := 0
	for i := range batch {
		s := &batch[i]
		k := 1
		if s.AllLogits {
			k = len(s.Tokens)
		}
		s.Logits = r.logits[out*d.vocab : (out+k)*d.vocab]
		out += k
	}
	return nil
}

// forwardHidden is Forward up to the output projection: it leaves the
// final-normed hidden states of the rows that want logits packed in r.xn
// (sequence after sequence; every token of an AllLogits sequence, the last
// one of the others) and returns their number. Seq.Logits is not set.
func (r *Runner) forwardHidden(batch []Seq) (int, error) {
	n, logitRows, err := r.check(batch)
	if err != nil {
		return 0, err
	}
	for i := range batch {
		if err := batch[i].Cache.reserve(len(batch[i].Tokens)); err != nil {
			return 0, err
		}
	}
	m, d := r.m, r.m.dims
	r.ensureRows(n)
	maxPos := 0
	row := 0
	for i := range batch {
		s := &batch[i]
		for j, t := range s.Tokens {
			m.Embed.Row(t, r.x[(row+j)*d.hidden:(row+j+1)*d.hidden])
			r.pos[row+j] = s.Cache.len + j
		}
		for _, in := range s.Inject {
			copy(r.x[(row+in.Pos)*d.hidden:(row+in.Pos+1)*d.hidden], in.Vec)
		}
		row += len(s.Tokens)
		maxPos = max(maxPos, s.Cache.len+len(s.Tokens))
	}
	r.ensureRoPE(maxPos)
	for l := range m.Layers {
		r.layer(l, batch, n)
	}
	for i := range batch {
		batch[i].Cache.len += len(batch[i].Tokens)
	}
	// Final norm on the rows that need logits, packed into xn.
	out := 0
	row = 0
	for i := range batch {
		s := &batch[i]
		first := row
		if !s.AllLogits {
			first = row + len(s.Tokens) - 1
		}
		for t := first; t < row+len(s.Tokens); t++ {
			kernels.RMSNorm(r.xn[out*d.hidden:(out+1)*d.hidden], r.x[t*d.hidden:(t+1)*d.hidden], m.Norm, d.eps)
			out++
		}
		row += len(s.Tokens)
	}
	return logitRows, nil
}

// rowWork is the work (in elements of a row times a cost weight) from which
// a per-token loop of a prefill is spread over the kernel pool; decode
// steps (a few rows) stay on the caller.
const rowWork = 1 << 16

// perRow runs fn over the token rows [0, n), split over the pool when n rows
// of width elements are worth it (the closure is only handed to the pool
// then, so a decode step allocates nothing).
func (r *Runner) perRow(n, width int, fn func(lo, hi int)) {
	if n < 2 || n*width < 2*rowWork {
		fn(0, n)
		return
	}
	kernels.ParallelFor(n, max(1, rowWork/max(width, 1)), fn)
}

// Per-token loops of a layer, bound once in NewRunner so that handing
// them to the pool allocates nothing. normFn applies r.curNorm.

func (r *Runner) normRows(lo, hi int) {
	h := r.m.dims.hidden
	for t := lo; t < hi; t++ {
		kernels.RMSNorm(r.xn[t*h:(t+1)*h], r.x[t*h:(t+1)*h], r.curNorm, r.m.dims.eps)
	}
}

func (r *Runner) ropeRows(lo, hi int) {
	d := r.m.dims
	half := d.headDim / 2
	qkvW := d.qDim + 2*d.kvDim
	for t := lo; t < hi; t++ {
		p := r.pos[t]
		cos, sin := r.cos[p*half:(p+1)*half], r.sin[p*half:(p+1)*half]
		row := r.qkv[t*qkvW : (t+1)*qkvW]
		kernels.RoPE(row[:d.qDim], d.heads, d.headDim, cos, sin)
		kernels.RoPE(row[d.qDim:d.qDim+d.kvDim], d.kvHeads, d.headDim, cos, sin)
	}
}

func (r *Runner) swigluRows(lo, hi int) {
	I := r.m.dims.inter
	for t := lo; t < hi; t++ {
		kernels.SwiGLU(r.act[t*I:(t+1)*I], r.gu[2*t*I:(2*t+1)*I], r.gu[(2*t+1)*I:(2*t+2)*I])
	}
}

// layer runs decoder block l over the n packed token rows.
func (r *Runner) layer(l int, batch []Seq, n int) {
	m, d := r.m, r.m.dims
	w := &m.Layers[l]
	dot := m.AllowBF16Dot
	qkvW := d.qDim + 2*d.kvDim // row t of r.qkv: [q | k | v]

	r.curNorm = w.AttnNorm
	r.perRow(n, d.hidden, r.normFn)
	if aliases(&w.qkv, &w.Q, &w.K, &w.V) {
		w.qkv.mulT(n, r.xn, 0, r.qkv, qkvW, dot)
	} else {
		w.Q.mulT(n, r.xn, 0, r.qkv, qkvW, dot)
		w.K.mulT(n, r.xn, 0, r.qkv[d.qDim:], qkvW, dot)
		w.V.mulT(n, r.xn, 0, r.qkv[d.qDim+d.kvDim:], qkvW, dot)
	}
	ad, ls := r.adapterLayer(l)
	if ad != nil {
		r.addLoRA(ad[ProjQ], ls, n, r.xn, r.qkv, qkvW)
		r.addLoRA(ad[ProjK], ls, n, r.xn, r.qkv[d.qDim:], qkvW)
		r.addLoRA(ad[ProjV], ls, n, r.xn, r.qkv[d.qDim+d.kvDim:], qkvW)
	}
	r.perRow(n, d.qDim+d.kvDim, r.ropeFn)

	// Append keys/values to the caches and queue one attention job per
	// (sequence, kv head): each job covers the query heads of that group.
	r.jobs = r.jobs[:0]
	group := d.heads / d.kvHeads
	scale := float32(1 / math.Sqrt(float64(d.headDim)))
	row := 0
	for i := range batch {
		s := &batch[i]
		c := s.Cache
		nt := len(s.Tokens)
		for j := 0; j < nt; j++ {
			src := r.qkv[(row+j)*qkvW+d.qDim : (row+j+1)*qkvW]
			copy(c.K[l][(c.len+j)*d.kvDim:(c.len+j+1)*d.kvDim], src[:d.kvDim])
			copy(c.V[l][(c.len+j)*d.kvDim:(c.len+j+1)*d.kvDim], src[d.kvDim:])
		}
		nkv := c.len + nt
		for g := 0; g < d.kvHeads; g++ {
			r.jobs = append(r.jobs, attnJob{
				shape: kernels.AttnShape{
					NQ: nt, NKV: nkv, NHeads: group, NKVHeads: 1, HeadDim: d.headDim,
					QStride: qkvW, KVStride: d.kvDim, OStride: d.qDim,
					QPos0: c.len, Scale: scale,
				},
				q: r.qkv[row*qkvW+g*group*d.headDim:],
				k: c.K[l][g*d.headDim:],
				v: c.V[l][g*d.headDim:],
				o: r.att[row*d.qDim+g*group*d.headDim:],
			})
		}
		row += nt
	}
	kernels.ParallelFor(len(r.jobs), 1, r.attnFn)
	w.O.MulT(n, r.att, 1, r.x, dot) // residual: x += attn·Woᵀ
	if ad != nil {
		r.addLoRA(ad[ProjO], ls, n, r.att, r.x, d.hidden)
	}

	r.curNorm = w.MLPNorm
	r.perRow(n, d.hidden, r.normFn)
	I := d.inter // row t of r.gu: [gate | up]
	if aliases(&w.gateUp, &w.Gate, &w.Up) {
		w.gateUp.mulT(n, r.xn, 0, r.gu, 2*I, dot)
	} else {
		w.Gate.mulT(n, r.xn, 0, r.gu, 2*I, dot)
		w.Up.mulT(n, r.xn, 0, r.gu[I:], 2*I, dot)
	}
	if ad != nil {
		r.addLoRA(ad[ProjGate], ls, n, r.xn, r.gu, 2*I)
		r.addLoRA(ad[ProjUp], ls, n, r.xn, r.gu[I:], 2*I)
	}
	r.perRow(n, 4*I, r.swigluFn)
	w.Down.MulT(n, r.act, 1, r.x, dot) // residual: x += mlp·Wdownᵀ
	if ad != nil {
		r.addLoRA(ad[ProjDown], ls, n, r.act, r.x, d.hidden)
	}
}
