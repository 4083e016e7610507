package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelForCoverage: every index of [0, n) is visited exactly once,
// for many n and grains, with concurrent callers and nested calls (run it
// with -race).
func TestParallelForCoverage(t *testing.T) {
	for _, spin := range []time.Duration{0, poolSpinDefault()} {
		old := setPoolSpin(spin)
		testParallelForCoverage(t)
		setPoolSpin(old)
	}
}

func poolSpinDefault() time.Duration { return max(time.Duration(poolSpin.Load()), 50*time.Microsecond) }

func testParallelForCoverage(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; n < 200; n += 1 + n/7 {
				for _, grain := range []int{0, 1, 3, 16, 1000} {
					hits := make([]int32, n)
					ParallelFor(n, grain, func(lo, hi int) {
						if lo < 0 || hi > n || lo >= hi {
							errs <- "bad range"
							return
						}
						for i := lo; i < hi; i++ {
							atomic.AddInt32(&hits[i], 1)
							// nested call must run (serially or not) and cover its range
							var inner atomic.Int32
							ParallelFor(3, 1, func(a, b int) { inner.Add(int32(b - a)) })
							if inner.Load() != 3 {
								errs <- "nested ParallelFor lost work"
							}
						}
					})
					for i, h := range hits {
						if h != 1 {
							errs <- "index visited wrong number of times"
							_ = i
							return
						}
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestParallelForChunks: ranges are at least grain long (except the
// caller running everything) and the pool really splits large work.
func TestParallelForChunks(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	ParallelFor(1000, 100, func(lo, hi int) {
		mu.Lock()
		sizes = append(sizes, hi-lo)
		mu.Unlock()
	})
	total := 0
	for _, s := range sizes {
		if s < 100 {
			t.Errorf("range of %d < grain 100", s)
		}
		total += s
	}
	if total != 1000 {
		t.Errorf("covered %d of 1000", total)
	}
	if Workers() > 1 && len(sizes) < 2 {
		t.Errorf("work of 10 grains not split over %d workers", Workers())
	}
	restore := limitWorkers(1)
	if Workers() != 1 {
		t.Errorf("limitWorkers(1): Workers() = %d", Workers())
	}
	calls := 0
	ParallelFor(1000, 1, func(lo, hi int) { calls++ })
	restore()
	if calls != 1 {
		t.Errorf("with one worker ParallelFor made %d calls", calls)
	}
}

// TestSpinFromEnv: POPI_POOL_SPIN_US in µs; 0 turns spinning off; a
// malformed or negative value keeps the default.
func TestSpinFromEnv(t *testing.T) {
	for v, want := range map[string]time.Duration{"0": 0, "250": 250 * time.Microsecond, "x": 100 * time.Microsecond, "-5": 100 * time.Microsecond} {
		t.Setenv("POPI_POOL_SPIN_US", v)
		if got := spinFromEnv(); got != want {
			t.Errorf("POPI_POOL_SPIN_US=%q: %v, want %v", v, got, want)
		}
	}
}
