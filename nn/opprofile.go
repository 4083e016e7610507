package nn

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The op profiler attributes wall-clock time to ops: in the forward pass,
// the time since the previous op finished (on the goroutine building the
// graph) goes to the op that finishes now; in Backward, each op's backward
// closure is timed. Work an op hands to the kernel pool is included, since
// the op waits for it. It is meant for one goroutine building and
// differentiating graphs (a training step); ops recorded concurrently from
// several goroutines would blur each other's forward times. Under
// nn.Checkpoint the recomputed forward ops count both under their own names
// and inside the checkpoint's backward.

// OpTime is the time spent in one kind of op (Value op names such as
// "linear", "attention", "rmsnorm") while profiling was on.
type OpTime struct {
	Op                 string
	Forward, Backward  time.Duration
	FwdCalls, BwdCalls int
}

// Total is Forward + Backward.
func (o OpTime) Total() time.Duration { return o.Forward + o.Backward }

// opProfOn is the fast check ops make when profiling is off.
var opProfOn atomic.Bool

var opProf struct {
	sync.Mutex
	on   bool
	last time.Time
	ops  map[string]*OpTime
}

// StartOpProfile clears the op profile and starts recording.
func StartOpProfile() {
	opProf.Lock()
	opProf.on = true
	opProf.last = time.Now()
	opProf.ops = map[string]*OpTime{}
	opProfOn.Store(true)
	opProf.Unlock()
}

// StopOpProfile stops recording and returns the per-op times, largest
// total first.
func StopOpProfile() []OpTime {
	opProf.Lock()
	defer opProf.Unlock()
	opProf.on = false
	opProfOn.Store(false)
	out := make([]OpTime, 0, len(opProf.ops))
	for _, o := range opProf.ops {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b OpTime) int {
		if c := b.Total() - a.Total(); c != 0 {
			if c > 0 {
				return 1
			}
			return -1
		}
		if a.Op < b.Op {
			return -1
		}
		return 1
	})
	return out
}

// MarkOpProfile attributes the time since the last recorded op to a named
// phase outside the graph (for example "adamw" around an optimizer step,
// or "setup" before the first op), counted as forward time.
func MarkOpProfile(phase string) {
	opProf.Lock()
	defer opProf.Unlock()
	if !opProf.on {
		return
	}
	now := time.Now()
	opEntry(phase).Forward += now.Sub(opProf.last)
	opEntry(phase).FwdCalls++
	opProf.last = now
}

// opEntry returns the record of op (opProf locked).
func opEntry(op string) *OpTime {
	o := opProf.ops[op]
	if o == nil {
		o = &OpTime{Op: op}
		opProf.ops[op] = o
	}
	return o
}

// profForward records an op's forward completion (called by finish).
func profForward(op string) {
	if !opProfOn.Load() {
		return
	}
	opProf.Lock()
	if opProf.on {
		now := time.Now()
		o := opEntry(op)
		o.Forward += now.Sub(opProf.last)
		o.FwdCalls++
		opProf.last = now
	}
	opProf.Unlock()
}

// profBackward runs one node's backward, timing it when profiling.
func profBackward(n *Value) {
	if !opProfOn.Load() {
		n.backward()
		return
	}
	t0 := time.Now()
	n.backward()
	now := time.Now()
	opProf.Lock()
	if opProf.on {
		o := opEntry(n.op)
		o.Backward += now.Sub(t0)
		o.BwdCalls++
		opProf.last = now
	}
	opProf.Unlock()
}
