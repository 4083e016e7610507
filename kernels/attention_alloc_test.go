//go:build !race

package kernels

import (
	"runtime"
	"testing"
)

// TestAttentionZeroAlloc: the tiled attention (forward and backward) and the
// vector kernels allocate nothing per call once their pools are warm (the
// race detector makes sync.Pool drop entries, hence the build tag).
func TestAttentionZeroAlloc(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		for _, c := range [][2]int{{1, 130}, {40, 40}} {
			s := AttnShape{NQ: c[0], NKV: c[1], NHeads: 8, NKVHeads: 2, HeadDim: 32, QPos0: c[1] - c[0], Scale: 0.2}
			a := newAttnData(s, 1)
			dq, dk, dv := make([]float32, len(a.q)), make([]float32, len(a.k)), make([]float32, len(a.v))
			x, y, z := benchVec(1001), benchVec(1001), benchVec(1001)
			for name, fn := range map[string]func(){
				"forward":  func() { attentionTiled(s, a.q, a.k, a.v, a.out, a.lse) },
				"backward": func() { attentionBackwardTiled(s, a.q, a.k, a.v, a.out, a.dout, a.lse, dq, dk, dv) },
				"softmax":  func() { Softmax(x) },
				"logsoft":  func() { LogSoftmax(x, y) },
				"exp":      func() { Exp(x, y) },
				"swiglu":   func() { SwiGLU(x, y, z) },
			} {
				// Collect the garbage of earlier tests first (a GC during the
				// measurement empties the sync.Pools), warm the pools, and
				// average over 100 calls so that a rare pool miss (an object
				// left in another P's private slot, here or in ParallelFor)
				// does not count while an allocation per call does.
				runtime.GC()
				for range 3 {
					fn()
				}
				if n := testing.AllocsPerRun(100, fn); n != 0 {
					t.Errorf("%s NQ=%d: %v allocations per call, want 0", name, s.NQ, n)
				}
			}
		}
	})
}
