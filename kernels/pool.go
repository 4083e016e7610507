package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool: GOMAXPROCS-1 long-lived goroutines plus the caller. Work
// is handed out as index ranges; no goroutine is started per task, and a
// call allocates nothing (wait groups are pooled, jobs are values).

type job struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *doneGroup
}

var (
	poolOnce sync.Once
	poolJobs chan job
	poolSize int
	wgPool   = sync.Pool{New: func() any { return new(doneGroup) }}
)

func startPool() {
	poolSize = runtime.GOMAXPROCS(0)
	poolJobs = make(chan job, 4*poolSize)
	for i := 1; i < poolSize; i++ {
		go poolWorker()
	}
}

func poolWorker() {
	for j := range poolJobs {
		runPoolJob(j)
		spinForJobs()
	}
}

// workerLimit, when > 0, caps the workers ParallelFor uses (benchmarks
// measure one core with it; see limitWorkers).
var workerLimit atomic.Int32

// Workers reports how many goroutines ParallelFor spreads work over.
func Workers() int {
	poolOnce.Do(startPool)
	if l := int(workerLimit.Load()); l > 0 && l < poolSize {
		return l
	}
	return poolSize
}

// limitWorkers caps ParallelFor at n workers (n <= 0: no cap) and returns
// a function restoring the previous cap.
func limitWorkers(n int) (restore func()) {
	old := workerLimit.Swap(int32(max(n, 0)))
	return func() { workerLimit.Store(old) }
}

// ParallelFor calls fn on disjoint ranges covering [0, n), spread over the
// pool. Ranges are at least grain long; a problem of fewer than 2*grain items
// runs on the caller alone. fn must be safe to run concurrently on disjoint
// ranges. Nested calls from inside fn run serially on the caller.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	w := Workers()
	if w == 1 || n < 2*grain || inPool() {
		fn(0, n)
		return
	}
	chunks := n / grain
	if chunks > w {
		chunks = w
	}
	step := (n + chunks - 1) / chunks
	wg := wgPool.Get().(*doneGroup)
	for c := 1; c < chunks; c++ {
		lo, hi := c*step, min((c+1)*step, n)
		if lo >= hi {
			continue
		}
		wg.add(1)
		poolJobs <- job{fn: fn, lo: lo, hi: hi, wg: wg}
	}
	fn(0, min(step, n))
	wg.wait()
	wgPool.Put(wg)
}
