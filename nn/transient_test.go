package nn

import (
	"math"
	"testing"
)

// transientLoss is a two-block LLaMA-style loss built like llama's
// Trainable (stacked Q/K/V and gate/up); with mark, every intermediate is
// Transient. It returns the loss and the values it marked.
func transientLoss(m *miniLlama, ids []int, b, t int, mark bool) (*Value, []*Value) {
	pos := make([]int, b*t)
	targets := make([]int, b*t)
	for i := range pos {
		pos[i] = i % t
		targets[i] = -1
		if i%t != t-1 {
			targets[i] = ids[i+1]
		}
	}
	var marked []*Value
	tr := func(vs ...*Value) {
		if mark {
			Transient(vs...)
			marked = append(marked, vs...)
		}
	}
	hd := m.dim / m.heads
	x := Embedding(m.embed, ids)
	for _, blk := range m.blocks {
		tr(x)
		h := RMSNorm(x, blk.an, 1e-5)
		all := LinearStack(h, blk.wq, blk.wk, blk.wv)
		qkv := SplitLast(all, m.dim, m.kv*hd, m.kv*hd)
		q := RoPE(qkv[0], m.heads, pos, m.cos, m.sin)
		k := RoPE(qkv[1], m.kv, pos, m.cos, m.sin)
		a := Attention(Reshape(q, b, t, m.dim), Reshape(k, b, t, m.kv*hd), Reshape(qkv[2], b, t, m.kv*hd), m.heads, m.kv)
		o := Linear(Reshape(a, b*t, m.dim), blk.wo)
		x1 := Add(x, o)
		n := RMSNorm(x1, blk.fn, 1e-5)
		gu := LinearStack(n, blk.wg, blk.wu)
		s := SwiGLUStacked(gu)
		d := Linear(s, blk.wd)
		tr(h, all, qkv[0], qkv[1], qkv[2], q, k, a, o, x1, n, gu, s, d)
		x = Add(x1, d)
	}
	tr(x)
	hn := RMSNorm(x, m.norm, 1e-5)
	logits := Linear(hn, m.embed)
	tr(hn, logits)
	return CrossEntropy(logits, targets), marked
}

// TestTransientRecyclesActivations: with every intermediate Transient and
// a pool pre-filled with NaN buffers (so recycled outputs start dirty),
// three consecutive passes give gradients bit-identical to a run without
// recycling; the marked values' Data is released after Backward (nil),
// and the pool serves the next pass's activations.
func TestTransientRecyclesActivations(t *testing.T) {
	const b, tt = 2, 16
	m := newMiniLlama(64, 32, 2, 4, 2, 48, tt) // rows x dim = 1024 floats: pooled
	ids := make([]int, b*tt)
	for i := range ids {
		ids[i] = (i * 13) % 64
	}
	grads := func() [][]float32 {
		var out [][]float32
		for _, p := range m.params() {
			out = append(out, append([]float32(nil), p.Grad...))
		}
		return out
	}
	ReleaseBuffers()
	defer ReleaseBuffers()
	ZeroGrads(m.params())
	l, _ := transientLoss(m, ids, b, tt, false)
	if err := l.Backward(); err != nil {
		t.Fatal(err)
	}
	want := grads()
	wantLoss := l.Item()

	for _, n := range []int{b * tt * 32, b * tt * 48, b * tt * 96, b * tt * 64, b * tt * 48} {
		seedPoolNaN(n, 6)
	}
	for pass := 0; pass < 3; pass++ {
		ZeroGrads(m.params())
		l, marked := transientLoss(m, ids, b, tt, true)
		if err := l.Backward(); err != nil {
			t.Fatal(err)
		}
		if l.Item() != wantLoss {
			t.Fatalf("pass %d: loss %v, want %v", pass, l.Item(), wantLoss)
		}
		for _, v := range marked {
			if v.Data != nil && v.owned {
				t.Fatalf("pass %d: transient %v kept its buffer", pass, v)
			}
		}
		got := grads()
		for i := range want {
			for j := range want[i] {
				if got[i][j] != want[i][j] || math.IsNaN(float64(got[i][j])) {
					t.Fatalf("pass %d: param %d grad[%d] = %v, want %v", pass, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
	gradPool.Lock()
	held := gradPool.held
	gradPool.Unlock()
	if held == 0 {
		t.Fatal("no buffer was recycled")
	}
}

// TestTransientLeavesOthersAlone: Backward keeps the Data of values not
// marked, of marked leaves and views, and of values computed without a
// graph.
func TestTransientLeavesOthersAlone(t *testing.T) {
	defer ReleaseBuffers()
	w := NewParam(make([]float32, 2048), 32, 64)
	for i := range w.Data {
		w.Data[i] = float32(i%7) * 0.1
	}
	a := Scale(w, 2)        // marked: released
	v := Reshape(a, 64, 32) // a view of a's buffer: not owned
	kept := Scale(v, 3)     // not marked: kept
	var ng *Value
	NoGrad(func() { ng = Scale(w, 4) })
	Transient(a, v, w, ng)
	if err := Sum(kept).Backward(); err != nil {
		t.Fatal(err)
	}
	if a.Data != nil {
		t.Fatal("transient intermediate kept its buffer")
	}
	if len(w.Data) != 2048 || len(kept.Data) != 2048 || len(ng.Data) != 2048 || len(v.Data) != 2048 {
		t.Fatal("Backward released a value it does not own or that was not marked")
	}
	if kept.Data[5] != 6*w.Data[5] {
		t.Fatalf("kept value changed: %v, want %v", kept.Data[5], 6*w.Data[5])
	}
}
