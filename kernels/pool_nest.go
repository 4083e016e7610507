package kernels

import "sync/atomic"

// Nested parallelism guard: while pool workers run a job, a nested
// ParallelFor from the job runs serially (the pool is already busy), which
// also rules out deadlock from a full job queue.
var poolDepth atomic.Int32

func inPool() bool { return poolDepth.Load() > 0 }

// runPoolJob runs one job on a pool worker, marked as nested work.
func runPoolJob(j job) {
	poolDepth.Add(1)
	defer func() {
		poolDepth.Add(-1)
		j.wg.done()
	}()
	j.fn(j.lo, j.hi)
}
