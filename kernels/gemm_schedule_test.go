package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmSchedules: the dynamic 2-D schedules, guided and fixed-size
// (runs of tiles that start and end inside a B panel, row runs when
// splitting rows), give exactly the result of the static per-worker split, on every path, and both
// match the float64 reference. Shapes are picked so runs cut columns
// (n not a multiple of nr times the workers), rows are split (few B
// panels), and several depth and row blocks are crossed.
func TestSgemmSchedules(t *testing.T) {
	if Workers() < 2 {
		t.Logf("GOMAXPROCS=1: the schedules differ only in how one worker walks the grid")
	}
	cases := []gemmCase{
		{m: 203, n: 317, k: 801, alpha: 1, beta: 0},                                // split columns, runs cut columns
		{m: 1601, n: 100, k: 96, alpha: 0.5, beta: 1, transB: true, offA: 1},       // split rows, two row blocks
		{m: 128, n: 512, k: 700, alpha: 1, beta: -1.5, transA: true, padC: 3},      // weight-gradient-like
		{m: 300, n: 530, k: 64, alpha: -1, beta: 0.25, transA: true, transB: true}, // transposed both
	}
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(11, 3))
		for _, tc := range cases {
			if !runSgemmCase(t, rng, tc) {
				return
			}
			am, ak := dims(tc.transA, tc.m, tc.k)
			bk, bn := dims(tc.transB, tc.k, tc.n)
			A := newOperand(rng, am, ak, tc.padA, tc.offA, float32(math.NaN()))
			B := newOperand(rng, bk, bn, tc.padB, tc.offB, float32(math.NaN()))
			C0 := makeC(rng, tc)
			run := func(sched string) []float32 {
				defer setSchedule(sched)()
				c := append([]float32(nil), C0.buf...)
				Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.slice(), A.ld, B.slice(), B.ld, tc.beta, c[C0.off:C0.off+len(C0.slice())], C0.ld)
				return c
			}
			st := run("static")
			for _, sched := range []string{"rows", "guided", "fixed"} {
				dyn := run(sched)
				for i := range dyn {
					if math.Float32bits(dyn[i]) != math.Float32bits(st[i]) {
						t.Fatalf("%v: element %d: %s schedule %v, static %v", tc, i, sched, dyn[i], st[i])
					}
				}
			}
		}
	})
}

// TestSgemmFusedPacking: on one core, the fused schedule (A packed a few
// micro-panels at a time next to their use, B in one block) and the
// grouped transposed-A packer give exactly the result of packing the
// whole A block panel by panel first, on every path, and match the
// float64 reference (runSgemmCase). Shapes cross several depth and row
// blocks, end in partial A panels and narrow B panels, and include B
// wider than one packed block (not fused).
func TestSgemmFusedPacking(t *testing.T) {
	defer limitWorkers(1)()
	cases := []gemmCase{
		{m: 1603, n: 100, k: 1100, alpha: 1, beta: 1, transA: true, padA: 5},     // weight-gradient-like, two row blocks
		{m: 77, n: 256, k: 513, alpha: 0.5, beta: 0, transA: true, offA: 3},      // group cut short, partial panel
		{m: 90, n: 300, k: 40, alpha: -1, beta: 0.25, transB: true, padC: 2},     // transposed B
		{m: 41, n: 700, k: 64, alpha: 1, beta: -0.5, transA: true, transB: true}, // wide B: not fused
	}
	if testing.Short() { // still two depth blocks everywhere, two row blocks on the generic path
		cases[0].m, cases[0].n, cases[0].k = 1100, 50, 600
	}
	forEachPath(t, func(t *testing.T, p Path) {
		rng := rand.New(rand.NewPCG(12, 4))
		for _, tc := range cases {
			if !runSgemmCase(t, rng, tc) {
				return
			}
			am, ak := dims(tc.transA, tc.m, tc.k)
			bk, bn := dims(tc.transB, tc.k, tc.n)
			A := newOperand(rng, am, ak, tc.padA, tc.offA, float32(math.NaN()))
			B := newOperand(rng, bk, bn, tc.padB, tc.offB, float32(math.NaN()))
			C0 := makeC(rng, tc)
			run := func(fuse, group int) []float32 {
				oldF, oldG := gemmFuseGroup, gemmPackGroup
				gemmFuseGroup, gemmPackGroup = fuse, group
				defer func() { gemmFuseGroup, gemmPackGroup = oldF, oldG }()
				c := append([]float32(nil), C0.buf...)
				Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.slice(), A.ld, B.slice(), B.ld, tc.beta, c[C0.off:C0.off+len(C0.slice())], C0.ld)
				return c
			}
			ref := run(0, 1)
			for _, v := range [][2]int{{0, 8}, {8, 8}, {3, 2}, {8, 1}} {
				got := run(v[0], v[1])
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
						t.Fatalf("%v: element %d: fuse=%d group=%d gives %v, unfused ungrouped %v", tc, i, v[0], v[1], got[i], ref[i])
					}
				}
			}
		}
	})
}
