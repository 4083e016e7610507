package popi

import (
	"os"
	"runtime/debug"
)

// largeBase is the weight size from which a run tunes the Go heap to its base (see
// heapForWeights and stageTimes.release).
const largeBase = 1 << 30

// gcSlackBytes is the garbage the Go heap may accumulate between collections during a run
// on a large base (see heapForWeights).
const gcSlackBytes = 256 << 20

// heapForWeights bounds the heap growth between garbage collections while a run holds
// weights bytes of long-lived model weights, and returns the function restoring the
// previous setting. Go collects when the heap has grown by GOGC percent of the live heap;
// with the default 100 and a 2.5 GB base that is 2.5 GB of dead activations on top of the
// weights before any is reclaimed. The percentage is lowered so the growth is about
// gcSlackBytes over the weights (at least 5%; the live activations of a training pass add
// their share on top). The weights hold no pointers, so the extra collections only
// mark the small pointerful heap. A GOGC set in the environment is respected, and bases
// under 1 GB keep the default.
func heapForWeights(weights int64) (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set || weights < largeBase {
		return func() {}
	}
	pct := int(max(5, min(100, 100*int64(gcSlackBytes)/weights)))
	old := debug.SetGCPercent(pct)
	return func() { debug.SetGCPercent(old) }
}

// releaseMemory collects garbage and returns the freed pages to the operating system at
// once (the runtime's background scavenger would keep them resident for a while). A
// Stage-1 step on a large base calls it after the phases that leave hundreds of megabytes
// of dead KV caches and activations behind (sampling, reward scoring), so the next phase's
// buffers do not stack on top of them in the process's resident memory.
func releaseMemory() { debug.FreeOSMemory() }
