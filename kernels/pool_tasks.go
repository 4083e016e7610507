package kernels

import (
	"sync"
	"sync/atomic"
)

// ParallelTasks runs fn(0) .. fn(n-1), each task on one goroutine, the
// tasks claimed in order by the caller and the pool workers as each
// becomes free: independent pieces of work of unequal cost finish close
// together. While the tasks run, ParallelFor calls (from inside the tasks
// or elsewhere) run serially on their caller, so a task that calls a GEMM
// gets a single-threaded GEMM: no barriers between the cores, no shared
// packed panels. With one worker, one task, or from inside a pool job the
// tasks run in order on the caller.
func ParallelTasks(n int, fn func(i int)) {
	if n <= 0 {
		return
	}
	w := min(Workers(), n)
	if w == 1 || inPool() {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	poolDepth.Add(1) // nested ParallelFor stays on its caller from here on
	defer poolDepth.Add(-1)
	var next atomic.Int64
	body := func(_, _ int) {
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for c := 1; c < w; c++ {
		wg.Add(1)
		poolJobs <- job{fn: body, lo: 0, hi: 0, wg: &wg}
	}
	body(0, 0)
	wg.Wait()
}
