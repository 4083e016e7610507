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
