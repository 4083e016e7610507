package nn

import (
	"math"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// miniLlama is a LLaMA-shaped decoder built from nn ops, used to measure
// the cost of a full training step (forward, backward, AdamW) of the op
// library itself.
type miniLlama struct {
	vocab, dim, layers, heads, kv, ffn int
	embed, norm                        *Value
	blocks                             []miniBlock
	cos, sin                           []float32
}

type miniBlock struct {
	an, fn                     *Value
	wq, wk, wv, wo, wg, wu, wd *Value
}

func newMiniLlama(vocab, dim, layers, heads, kv, ffn, maxPos int) *miniLlama {
	m := &miniLlama{vocab: vocab, dim: dim, layers: layers, heads: heads, kv: kv, ffn: ffn}
	seed := uint64(1)
	p := func(std float32, shape ...int) *Value { seed++; return Param(tensor.RandN(seed, std, shape...)) }
	one := func(n int) *Value { return Param(tensor.Full(1, n)) }
	hd := dim / heads
	m.embed = p(0.02, vocab, dim)
	m.norm = one(dim)
	for l := 0; l < layers; l++ {
		m.blocks = append(m.blocks, miniBlock{
			an: one(dim), fn: one(dim),
			wq: p(0.02, dim, dim), wk: p(0.02, kv*hd, dim), wv: p(0.02, kv*hd, dim), wo: p(0.02, dim, dim),
			wg: p(0.02, ffn, dim), wu: p(0.02, ffn, dim), wd: p(0.02, dim, ffn),
		})
	}
	h := hd / 2
	m.cos, m.sin = make([]float32, maxPos*h), make([]float32, maxPos*h)
	for pos := 0; pos < maxPos; pos++ {
		for i := 0; i < h; i++ {
			a := float64(pos) * math.Pow(500000, -float64(2*i)/float64(hd))
			m.cos[pos*h+i], m.sin[pos*h+i] = float32(math.Cos(a)), float32(math.Sin(a))
		}
	}
	return m
}

func (m *miniLlama) params() []*Value {
	ps := []*Value{m.embed, m.norm}
	for _, b := range m.blocks {
		ps = append(ps, b.an, b.fn, b.wq, b.wk, b.wv, b.wo, b.wg, b.wu, b.wd)
	}
	return ps
}

// loss is the mean next-token cross-entropy of ids [B*T] (B sequences of T).
func (m *miniLlama) loss(ids []int, b, t int) *Value {
	pos := make([]int, b*t)
	targets := make([]int, b*t)
	for i := range pos {
		pos[i] = i % t
		targets[i] = -1
		if i%t != t-1 {
			targets[i] = ids[i+1]
		}
	}
	x := Reshape(Embedding(m.embed, ids), b, t, m.dim)
	for _, blk := range m.blocks {
		h := RMSNorm(x, blk.an, 1e-5)
		q := RoPE(Linear(h, blk.wq), m.heads, pos, m.cos, m.sin)
		k := RoPE(Linear(h, blk.wk), m.kv, pos, m.cos, m.sin)
		v := Linear(h, blk.wv)
		x = Add(x, Linear(Attention(q, k, v, m.heads, m.kv), blk.wo))
		n := RMSNorm(x, blk.fn, 1e-5)
		x = Add(x, Linear(SwiGLU(Linear(n, blk.wg), Linear(n, blk.wu)), blk.wd))
	}
	logits := Linear(RMSNorm(x, m.norm, 1e-5), m.embed)
	return CrossEntropy(logits, targets)
}

func benchTrainStep(b *testing.B, vocab, dim, layers, heads, kv, ffn, batch, seq int) {
	m := newMiniLlama(vocab, dim, layers, heads, kv, ffn, seq)
	opt := NewAdamW(AdamWConfig{}, SplitDecay(m.params(), 0.1)...)
	ids := make([]int, batch*seq)
	for i := range ids {
		ids[i] = (i*7919 + 13) % vocab
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		opt.ZeroGrad()
		l := m.loss(ids, batch, seq)
		if err := l.Backward(); err != nil {
			b.Fatal(err)
		}
		if _, err := ClipGradNorm(opt.Params(), 1); err != nil {
			b.Fatal(err)
		}
		if err := opt.Step(1e-4); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec*1000, "ms/step")
	b.ReportMetric(float64(batch*seq)/sec, "tokens/s")
}

// BenchmarkTrainStep5m: the 5m config (vocab 4096, dim 256, 4 layers, 8
// heads / 2 kv, ffn 688), batch 8 x 256 tokens. PyTorch on this machine:
// 713 ms/step.
func BenchmarkTrainStep5m(b *testing.B) { benchTrainStep(b, 4096, 256, 4, 8, 2, 688, 8, 256) }

// BenchmarkLinearTrain measures Linear forward+backward, [2048, 512] x
// [1376, 512]ᵀ, reporting GFLOP/s (3 GEMMs of 2·m·n·k each).
func BenchmarkLinearTrain(b *testing.B) {
	x := Param(tensor.RandN(1, 1, 2048, 512))
	w := Param(tensor.RandN(2, 0.02, 1376, 512))
	for i := 0; i < b.N; i++ {
		y := Linear(x, w)
		if err := y.BackwardWith(y.Data); err != nil {
			b.Fatal(err)
		}
	}
	flops := 3 * 2 * 2048.0 * 1376 * 512
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkTokenLogProbs measures the fused log-prob gather forward and
// backward over [2048, 32000] logits, reporting tokens/s.
func BenchmarkTokenLogProbs(b *testing.B) {
	const rows, vocab = 2048, 32000
	x := Param(tensor.RandN(1, 1, rows, vocab))
	tg := make([]int, rows)
	for i := range tg {
		tg[i] = i * 31 % vocab
	}
	for i := 0; i < b.N; i++ {
		x.Grad = nil
		if err := Sum(TokenLogProbs(x, tg)).Backward(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(rows*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkAttentionTrain measures fused causal GQA attention forward and
// backward, B=8, T=256, 8 heads / 2 kv heads, head dim 32, reporting GFLOP/s
// (4·T²·H·d for forward's two products over the causal half, counted as
// full products; backward as 2x forward).
func BenchmarkAttentionTrain(b *testing.B) {
	const bs, t, h, kv, d = 8, 256, 8, 2, 32
	q := Param(tensor.RandN(1, 1, bs, t, h*d))
	k := Param(tensor.RandN(2, 1, bs, t, kv*d))
	v := Param(tensor.RandN(3, 1, bs, t, kv*d))
	for i := 0; i < b.N; i++ {
		o := Attention(q, k, v, h, kv)
		if err := o.BackwardWith(o.Data); err != nil {
			b.Fatal(err)
		}
	}
	flops := 3.0 * 2 * 2 * bs * h * d * t * t / 2
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkLinearLogProbs measures the fused projection + log-prob gather
// (forward, and backward with its recomputed projection) for 256 rows,
// dim 256, vocab 32000, reporting tokens/s.
func BenchmarkLinearLogProbs(b *testing.B) {
	const rows, dim, vocab = 256, 256, 32000
	h := Param(tensor.RandN(1, 1, rows, dim))
	w := Param(tensor.RandN(2, 0.05, vocab, dim))
	tg := make([]int, rows)
	for i := range tg {
		tg[i] = i * 131 % vocab
	}
	for i := 0; i < b.N; i++ {
		if err := Sum(LinearLogProbs(h, w, tg, 1)).Backward(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(rows*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
