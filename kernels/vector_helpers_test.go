package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Shared helpers of the vector kernel tests: path iteration, guarded
// buffers (a sentinel around every output that must survive), sizes and
// tolerances.

const eps32 = 1.0 / (1 << 23) // float32 machine epsilon

// forPaths runs f once per available path (with the dispatch switched to
// it) and restores the active path afterwards.
func forPaths(t *testing.T, f func(t *testing.T, p Path)) {
	t.Helper()
	old := ActivePath()
	defer SetPath(old)
	for _, p := range AvailablePaths() {
		if !SetPath(p) {
			t.Fatalf("SetPath(%s) refused an available path", p)
		}
		t.Run(string(p), func(t *testing.T) { f(t, p) })
	}
}

// testSizes are every length 0..257 plus a few large ones.
func testSizes() []int {
	s := make([]int, 0, 262)
	for n := 0; n <= 257; n++ {
		s = append(s, n)
	}
	return append(s, 1000, 1023, 4099)
}

var testOffsets = []int{0, 1, 3}

const guardLen = 17

var sentinelBits = uint32(0x7fbadbad)

// guard is a slice with sentinel-filled margins on both sides.
type guard struct {
	buf    []float32
	lo, n  int
	values []float32
}

func newGuard(n, off int) *guard {
	buf := make([]float32, off+guardLen+n+guardLen)
	for i := range buf {
		buf[i] = math.Float32frombits(sentinelBits)
	}
	lo := off + guardLen
	return &guard{buf: buf, lo: lo, n: n, values: buf[lo : lo+n : lo+n]}
}

func (g *guard) check(t *testing.T, what string) {
	t.Helper()
	for i, v := range g.buf {
		if i >= g.lo && i < g.lo+g.n {
			continue
		}
		if math.Float32bits(v) != sentinelBits {
			t.Fatalf("%s: wrote outside its output at offset %d (len %d)", what, i-g.lo, g.n)
		}
	}
}

func randSlice(r *rand.Rand, dst []float32, lo, hi float64) {
	for i := range dst {
		dst[i] = float32(lo + (hi-lo)*r.Float64())
	}
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// near reports whether got is within relTol*|want| + absTol of want (NaN
// matches NaN, infinities must match exactly).
func near(got float32, want float64, relTol, absTol float64) bool {
	g := float64(got)
	switch {
	case math.IsNaN(want):
		return math.IsNaN(g)
	case math.IsInf(want, 0) || math.IsInf(g, 0):
		return g == want
	}
	return math.Abs(g-want) <= relTol*math.Abs(want)+absTol
}
