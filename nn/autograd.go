package nn

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/popi-go/popi/kernels"
)

var (
	noGradDepth atomic.Int64  // > 0 while any NoGrad call runs
	debugNaN    atomic.Bool   // check every op's output and gradients
	markGen     atomic.Uint64 // generation counter for graph walks
)

// NoGrad runs fn with gradient recording off: ops inside build no graph
// (no parents, no closures), whatever their inputs. The switch is
// process-wide and counted, so several goroutines may be inside NoGrad at
// once (concurrent rollouts); recording ops on other goroutines while any
// NoGrad call is running is not supported.
func NoGrad(fn func()) {
	noGradDepth.Add(1)
	defer noGradDepth.Add(-1)
	fn()
}

// GradEnabled reports whether ops currently record the graph.
func GradEnabled() bool { return noGradDepth.Load() == 0 }

// SetDebug turns on (or off) the numerics check: every op's output and every
// gradient it propagates is scanned for NaN/Inf, and Backward (or Value.Err)
// reports the op that produced the first one. It costs one pass over each
// tensor.
func SetDebug(on bool) { debugNaN.Store(on) }

// Debug reports whether the numerics check is on.
func Debug() bool { return debugNaN.Load() }

// needsGrad reports whether an op on these inputs must record itself.
func needsGrad(in ...*Value) bool {
	if noGradDepth.Load() != 0 {
		return false
	}
	for _, v := range in {
		if v != nil && v.RequiresGrad {
			return true
		}
	}
	return false
}

// newOut allocates an op's output, zeroed (the shape is copied: outputs
// never alias an input's shape slice). The buffer comes from the pool, so
// the activations of a Transient graph are reused step after step.
func newOut(op string, shape []int) *Value {
	return &Value{Data: getBuf(numel(shape)), Shape: append([]int{}, shape...), op: op, owned: true}
}

// newOutDirty is newOut with arbitrary initial contents: for ops that
// write every element of their output.
func newOutDirty(op string, shape []int) *Value {
	return &Value{Data: getBufDirty(numel(shape)), Shape: append([]int{}, shape...), op: op, owned: true}
}

// finish records the op (when any input needs a gradient) and runs the
// debug check on the output. bw may be nil when no input needs grad.
func finish(out *Value, bw func(), in ...*Value) *Value {
	for _, p := range in {
		if p != nil && p.bad != "" {
			out.bad = p.bad
			break
		}
	}
	if out.bad == "" && debugNaN.Load() && !finite(out.Data) {
		out.bad = out.op
	}
	profForward(out.op)
	if bw != nil && needsGrad(in...) {
		out.RequiresGrad = true
		out.parents = in
		out.backward = bw
	}
	return out
}

// finite reports whether x holds no NaN or Inf. A NaN or Inf element makes
// its chunk's sum of squares non-finite, so the kernel dot product screens
// each chunk and only a suspicious chunk is scanned element by element (a
// sum of squares can also overflow on large finite values).
func finite(x []float32) bool {
	const chunk = 4096
	for i := 0; i < len(x); i += chunk {
		c := x[i:min(i+chunk, len(x))]
		if s := kernels.Dot(c, c); !math.IsNaN(float64(s)) && !math.IsInf(float64(s), 0) {
			continue
		}
		for _, v := range c {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
	}
	return true
}

// Err reports a NaN/Inf produced in the forward pass that led to v (only
// tracked in debug mode), naming the op that produced it.
func (v *Value) Err() error {
	if v.bad != "" {
		return fmt.Errorf("nn: non-finite value produced by op %q in the forward pass", v.bad)
	}
	return nil
}

// ErrReleased is returned by Backward on a graph an earlier Backward freed.
var ErrReleased = errors.New("nn: Backward through a graph already released by an earlier Backward")

// Backward computes the gradient of a one-element value with respect to
// every leaf that requires grad, accumulating (+=) into their Grad. The
// graph's closures and intermediate gradients are released afterwards.
func (v *Value) Backward() error {
	if v.Numel() != 1 {
		return fmt.Errorf("nn: Backward of a value of shape %v; use BackwardWith for non-scalars", v.Shape)
	}
	return v.BackwardWith([]float32{1})
}

// BackwardWith is Backward seeded with d(loss)/d(v) = seed (len = Numel).
// After an error the graph is released and the leaves may hold partial
// gradients: zero them before the next attempt.
func (v *Value) BackwardWith(seed []float32) error {
	if len(seed) != v.Numel() {
		return fmt.Errorf("nn: BackwardWith seed of %d values for shape %v", len(seed), v.Shape)
	}
	if v.released {
		return ErrReleased
	}
	if err := v.Err(); err != nil {
		release(topo(v))
		return err
	}
	if !v.RequiresGrad {
		return fmt.Errorf("nn: Backward of %v, which does not depend on any value requiring grad", v)
	}
	order := topo(v)
	g := v.grad()
	for i, s := range seed {
		g[i] += s
	}
	debug := debugNaN.Load()
	var err error
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward == nil || n.Grad == nil {
			continue
		}
		profBackward(n)
		if n.bwErr != nil {
			err = n.bwErr
			break
		}
		if debug {
			for _, p := range n.parents {
				if p != nil && p.Grad != nil && !finite(p.Grad) {
					err = fmt.Errorf("nn: non-finite gradient produced by the backward of op %q (into %v)", n.label(), p)
					break
				}
			}
			if err != nil {
				break
			}
		}
		n.dropGrad()
		n.dropData()
		n.backward, n.parents, n.released = nil, nil, true
	}
	release(order)
	return err
}

// dropGrad releases a recorded node's gradient after Backward (to the pool)
// unless RetainGrad asked to keep it.
func (n *Value) dropGrad() {
	if n.retain || n.Grad == nil {
		return
	}
	putBuf(n.Grad)
	n.Grad = nil
}

// topo returns the recorded nodes reachable from v in an order where every
// node comes after its parents (iterative depth-first search).
func topo(v *Value) []*Value {
	gen := markGen.Add(1)
	type frame struct {
		n *Value
		i int
	}
	var order []*Value
	stack := []frame{{v, 0}}
	v.mark = gen
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.i < len(f.n.parents) {
			p := f.n.parents[f.i]
			f.i++
			if p != nil && p.mark != gen && (p.backward != nil || p.parents != nil) {
				p.mark = gen
				stack = append(stack, frame{p, 0})
			}
			continue
		}
		order = append(order, f.n)
		stack = stack[:len(stack)-1]
	}
	return order
}

// release frees closures, parent links and non-retained gradients of every
// recorded node in order.
func release(order []*Value) {
	for _, n := range order {
		if n.backward == nil && n.parents == nil {
			continue
		}
		n.dropGrad()
		n.dropData()
		n.backward, n.parents, n.released = nil, nil, true
	}
}
