package kernels

import "sync/atomic"

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
	r := getTaskRun()
	r.fn, r.n = fn, n
	r.next.Store(0)
	for c := 1; c < w; c++ {
		r.wg.add(1)
		poolJobs <- job{fn: r.body, wg: &r.wg}
	}
	r.body(0, 0)
	r.wg.wait()
	putTaskRun(r)
}

// taskRun is the state of one ParallelTasks call, pooled with its body
// bound once, so a call allocates nothing.
type taskRun struct {
	fn   func(i int)
	n    int
	next atomic.Int64
	wg   doneGroup
	body func(lo, hi int)
}

// taskRunFree recycles call states. A channel, not a sync.Pool: the
// caller may resume on another P after waiting, and a sync.Pool item left
// in one P's private slot is invisible from the others.
var taskRunFree = make(chan *taskRun, 8)

func getTaskRun() *taskRun {
	select {
	case r := <-taskRunFree:
		return r
	default:
		r := new(taskRun)
		r.body = r.claim
		return r
	}
}

func putTaskRun(r *taskRun) {
	r.fn = nil
	select {
	case taskRunFree <- r:
	default:
	}
}

// claim runs tasks until none is left (the range arguments are unused).
func (r *taskRun) claim(_, _ int) {
	for {
		i := int(r.next.Add(1)) - 1
		if i >= r.n {
			return
		}
		r.fn(i)
	}
}
