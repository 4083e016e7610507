package kernels

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Spinning. A parked goroutine on this kind of VM takes ~100 µs to run again
// once woken (measured inside decode: a pool worker started its half of a
// 1.4 ms GEMV 128 µs late on average, and the caller resumed ~100 µs after
// the worker finished), while a decode step hands the pool a new GEMV every
// few tens of µs. So a worker that finishes a job keeps polling for the next
// one for poolSpin before it blocks, and a caller waiting for its helpers
// polls before it blocks. Both yield the processor (runtime.Gosched) between
// polls, so other goroutines still run; POPI_POOL_SPIN_US sets the window
// in µs (0: block at once). Measured on 1B decode, per-token interleaved A/B
// (200 µs vs none): bf16 +2.2% and +3.3%, f32 +0.5% and +1.6% in two runs;
// the two cores then start a GEMV together, but its wall time is set by the
// memory bandwidth they share, so the gain is small.

var poolSpin atomic.Int64 // nanoseconds

func init() { poolSpin.Store(int64(spinFromEnv())) }

// setPoolSpin sets the spin window and returns the previous one.
func setPoolSpin(d time.Duration) time.Duration { return time.Duration(poolSpin.Swap(int64(d))) }

func spinFromEnv() time.Duration {
	const def = 100 * time.Microsecond
	v, ok := os.LookupEnv("POPI_POOL_SPIN_US")
	if !ok {
		return def
	}
	us, err := strconv.Atoi(v)
	if err != nil || us < 0 {
		return def
	}
	return time.Duration(us) * time.Microsecond
}

// spinForJobs runs the jobs that arrive within poolSpin of each other and
// returns once none has come for that long.
func spinForJobs() {
	spin := time.Duration(poolSpin.Load())
	if spin <= 0 {
		return
	}
	deadline := time.Now().Add(spin)
	for i := 1; ; i++ {
		select {
		case j := <-poolJobs:
			runPoolJob(j)
			deadline = time.Now().Add(spin)
			continue
		default:
		}
		if i%8 == 0 && time.Now().After(deadline) {
			return
		}
		runtime.Gosched()
	}
}

// doneGroup counts the jobs of one parallel call still running: a
// WaitGroup to block on, plus a counter the caller polls first.
type doneGroup struct {
	pending atomic.Int32
	wg      sync.WaitGroup
}

func (d *doneGroup) add(n int) {
	d.pending.Add(int32(n))
	d.wg.Add(n)
}

func (d *doneGroup) done() {
	d.pending.Add(-1)
	d.wg.Done()
}

// wait returns when every job added has called done.
func (d *doneGroup) wait() {
	if spin := time.Duration(poolSpin.Load()); spin > 0 && d.pending.Load() > 0 {
		deadline := time.Now().Add(spin)
		for i := 1; d.pending.Load() > 0; i++ {
			if i%8 == 0 && time.Now().After(deadline) {
				break
			}
			runtime.Gosched()
		}
	}
	d.wg.Wait()
}
