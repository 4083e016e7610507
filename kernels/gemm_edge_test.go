package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestSgemmEdgePanels runs every path on widths n = 48q + r for every
// remainder r (the last B panel of the AVX-512 path is 16, 32 or 48 wide)
// and on the training shapes' n = 256 and 688, against the float64
// reference with guard regions, every transpose combination.
func TestSgemmEdgePanels(t *testing.T) {
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(11, uint64(len(p))))
		var ns []int
		for r := 0; r <= 48; r++ {
			ns = append(ns, 48+r)
		}
		ns = append(ns, 256, 688)
		for i, n := range ns {
			tc := gemmCase{transA: i%2 == 1, transB: i%4 >= 2, m: 9 + i%11, n: n, k: 1 + (i*7)%40,
				alpha: 1.25, beta: []float32{0, 1, -0.5}[i%3], offA: i % 3, offB: (i + 1) % 3, offC: i % 2, padC: i % 5}
			if !runSgemmCase(t, rng, tc) {
				return
			}
		}
	})
}
