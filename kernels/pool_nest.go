package kernels

import "sync/atomic"

// Nested parallelism guard: while pool workers run a job, a nested
// ParallelFor from the job runs serially (the pool is already busy), which
// also rules out deadlock from a full job queue.
var poolDepth atomic.Int32

func inPool() bool { return poolDepth.Load() > 0 }

func markPool(fn func(lo, hi int)) func(lo, hi int) {
	return func(lo, hi int) {
		poolDepth.Add(1)
		defer poolDepth.Add(-1)
		fn(lo, hi)
	}
}
