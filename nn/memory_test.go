package nn

import (
	"runtime"
	"testing"
)

// TestMemoryStable runs training steps of a small model and checks that the
// live heap does not grow from step to step (graphs, closures and
// intermediate gradients are released by Backward).
func TestMemoryStable(t *testing.T) {
	m := newMiniLlama(64, 32, 2, 4, 2, 48, 16)
	opt := NewAdamW(AdamWConfig{}, SplitDecay(m.params(), 0.1)...)
	ids := make([]int, 2*16)
	for i := range ids {
		ids[i] = (i * 13) % 64
	}
	var heap []uint64
	var losses []float32
	for step := 0; step < 8; step++ {
		opt.ZeroGrad()
		l := m.loss(ids, 2, 16)
		if err := l.Backward(); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(3e-3); err != nil {
			t.Fatal(err)
		}
		losses = append(losses, l.Item())
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapAlloc)
	}
	if heap[7] > heap[2]+64<<10 {
		t.Fatalf("live heap grows across steps: %v", heap)
	}
	if !(losses[7] < losses[0]) {
		t.Fatalf("training does not reduce the loss: %v", losses)
	}
}

// TestRecycledBuffersAreClean repeats the same backward pass: gradients
// must be bit-identical although the second pass reuses the first pass's
// recycled (dirty) intermediate gradient buffers.
func TestRecycledBuffersAreClean(t *testing.T) {
	m := newMiniLlama(64, 32, 2, 4, 2, 48, 16)
	ids := make([]int, 2*16)
	for i := range ids {
		ids[i] = (i * 29) % 64
	}
	var grads [2][][]float32
	for pass := 0; pass < 2; pass++ {
		ZeroGrads(m.params())
		if err := m.loss(ids, 2, 16).Backward(); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.params() {
			grads[pass] = append(grads[pass], append([]float32(nil), p.Grad...))
		}
	}
	gradPool.Lock()
	held := gradPool.held
	gradPool.Unlock()
	if held == 0 {
		t.Fatal("no gradient buffer was recycled")
	}
	for i := range grads[0] {
		for j := range grads[0][i] {
			if grads[0][i][j] != grads[1][i][j] {
				t.Fatalf("param %d[%d]: %v then %v", i, j, grads[0][i][j], grads[1][i][j])
			}
		}
	}
}
