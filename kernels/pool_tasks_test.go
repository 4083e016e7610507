package kernels

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestParallelTasks: every task runs exactly once, with concurrent callers,
// ParallelFor and ParallelTasks nested inside tasks (run it with -race).
func TestParallelTasks(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 24; n++ {
				hits := make([]int32, n)
				ParallelTasks(n, func(i int) {
					atomic.AddInt32(&hits[i], 1)
					var inner atomic.Int32
					ParallelFor(5, 1, func(a, b int) { inner.Add(int32(b - a)) })
					ParallelTasks(3, func(int) { inner.Add(1) })
					if inner.Load() != 8 {
						errs <- "nested work lost"
					}
				})
				for i, h := range hits {
					if h != 1 {
						errs <- fmt.Sprintf("n=%d: task %d ran %d times", n, i, h)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if inPool() {
		t.Fatal("ParallelTasks left the nesting mark set")
	}
}
