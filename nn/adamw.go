package nn

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/popi-go/popi/kernels"
)

// ParamGroup is a set of parameters sharing optimizer settings.
type ParamGroup struct {
	Params      []*Value
	WeightDecay float64 // decoupled (AdamW) or L2 (SGD) weight-decay coefficient
	LRScale     float64 // multiplies the step's learning rate; 0 means 1
}

func (g ParamGroup) lr(lr float64) float64 {
	if g.LRScale == 0 {
		return lr
	}
	return lr * g.LRScale
}

// SplitDecay returns two groups: parameters with two or more dimensions
// (matrices, embeddings) with weight decay wd, and the rest (norm weights,
// biases) with none.
func SplitDecay(params []*Value, wd float64) []ParamGroup {
	var dec, nodec []*Value
	for _, p := range params {
		if len(p.Shape) >= 2 {
			dec = append(dec, p)
		} else {
			nodec = append(nodec, p)
		}
	}
	return []ParamGroup{{Params: dec, WeightDecay: wd}, {Params: nodec}}
}

// Freeze stops gradients for the given parameters (RequiresGrad off, gradient
// dropped); optimizers skip them.
func Freeze(params ...*Value) {
	for _, p := range params {
		p.RequiresGrad = false
		p.Grad = nil
	}
}

// ZeroGrads zeroes the gradients of params.
func ZeroGrads(params []*Value) {
	for _, p := range params {
		p.ZeroGrad()
	}
}

// ScaleGrads multiplies every gradient by s (for example 1/k after
// accumulating k micro-batches).
func ScaleGrads(params []*Value, s float32) {
	for _, p := range params {
		if p.Grad != nil {
			kernels.Scale(s, p.Grad)
		}
	}
}

// checkGrads returns an error naming the first parameter whose gradient has
// a NaN or Inf.
func checkGrads(groups []ParamGroup) error {
	for gi, g := range groups {
		for pi, p := range g.Params {
			if p.RequiresGrad && p.Grad != nil && !finite(p.Grad) {
				return fmt.Errorf("nn: non-finite gradient in parameter %s", paramName(p, gi, pi))
			}
		}
	}
	return nil
}

// AdamWConfig holds AdamW's hyper-parameters. Zero Beta1/Beta2/Eps take the
// defaults 0.9, 0.999, 1e-8.
type AdamWConfig struct {
	Beta1, Beta2, Eps float64
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter), with bias
// correction. Per step t and element: p -= lr·wd·p; m = β1·m + (1−β1)·g;
// v = β2·v + (1−β2)·g²; p -= lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + eps).
// Parameters with RequiresGrad off or no gradient are skipped (their moments
// do not advance). It satisfies rl.Optimizer.
type AdamW struct {
	Groups []ParamGroup
	cfg    AdamWConfig
	step   int64
	m, v   [][]float32 // per parameter, in group order; nil until first used
}

// NewAdamW returns an AdamW optimizer over groups.
func NewAdamW(cfg AdamWConfig, groups ...ParamGroup) *AdamW {
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	o := &AdamW{Groups: groups, cfg: cfg}
	n := o.numParams()
	o.m, o.v = make([][]float32, n), make([][]float32, n)
	return o
}

func (o *AdamW) numParams() int {
	n := 0
	for _, g := range o.Groups {
		n += len(g.Params)
	}
	return n
}

// Params lists every parameter in group order.
func (o *AdamW) Params() []*Value {
	var ps []*Value
	for _, g := range o.Groups {
		ps = append(ps, g.Params...)
	}
	return ps
}

// ZeroGrad zeroes every parameter's gradient.
func (o *AdamW) ZeroGrad() { ZeroGrads(o.Params()) }

// StepCount is the number of steps taken.
func (o *AdamW) StepCount() int64 { return o.step }

// Step applies one update with learning rate lr. A NaN/Inf gradient is an
// error naming the parameter, and nothing is updated.
func (o *AdamW) Step(lr float64) error {
	if math.IsNaN(lr) || math.IsInf(lr, 0) || lr < 0 {
		return fmt.Errorf("nn: AdamW step with learning rate %v", lr)
	}
	if err := checkGrads(o.Groups); err != nil {
		return err
	}
	o.step++
	b1, b2 := o.cfg.Beta1, o.cfg.Beta2
	bc1 := 1 - math.Pow(b1, float64(o.step))
	bc2 := 1 - math.Pow(b2, float64(o.step))
	idx := 0
	for gi, g := range o.Groups {
		glr := g.lr(lr)
		decay := float32(1 - glr*g.WeightDecay)
		stepSize := float32(glr / bc1)
		invBc2 := float32(1 / math.Sqrt(bc2))
		hyper := kernels.AdamWHyper{Beta1: float32(b1), Beta2: float32(b2), Decay: decay, StepSize: stepSize, InvBc2: invBc2, Eps: float32(o.cfg.Eps)}
		for pi, p := range g.Params {
			i := idx
			idx++
			if !p.RequiresGrad || p.Grad == nil {
				continue
			}
			if o.m[i] == nil {
				o.m[i] = make([]float32, len(p.Data))
				o.v[i] = make([]float32, len(p.Data))
			}
			m, v, w, gr := o.m[i], o.v[i], p.Data, p.Grad
			var bad atomic.Bool
			kernels.ParallelFor(len(w), 16384, func(lo, hi int) {
				kernels.AdamWUpdate(w[lo:hi], gr[lo:hi], m[lo:hi], v[lo:hi], hyper)
				if !finite(w[lo:hi]) || !finite(m[lo:hi]) || !finite(v[lo:hi]) {
					bad.Store(true)
				}
			})
			if bad.Load() {
				what := "weight"
				if !finite(m) || !finite(v) {
					what = "optimizer moment"
				}
				return fmt.Errorf("nn: AdamW update %d (learning rate %g): non-finite %s in parameter %s; training cannot continue from this state",
					o.step, lr, what, paramName(p, gi, pi))
			}
		}
	}
	return nil
}

// paramName is p's name, or its group, index and shape when it has none.
func paramName(p *Value, gi, pi int) string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprintf("group %d param %d %v", gi, pi, p.Shape)
}

// State returns a deep copy of the optimizer state.
func (o *AdamW) State() *AdamWState {
	s := &AdamWState{Step: o.step, M: make([][]float32, len(o.m)), V: make([][]float32, len(o.v))}
	for i := range o.m {
		if o.m[i] != nil {
			s.M[i] = append([]float32(nil), o.m[i]...)
			s.V[i] = append([]float32(nil), o.v[i]...)
		}
	}
	return s
}

// SetState restores a state saved by State (or read by ReadAdamWState),
// checking it matches this optimizer's parameters.
func (o *AdamW) SetState(s *AdamWState) error {
	ps := o.Params()
	if len(s.M) != len(ps) || len(s.V) != len(ps) {
		return fmt.Errorf("nn: AdamW state for %d parameters, optimizer has %d", len(s.M), len(ps))
	}
	if s.Step < 0 {
		return fmt.Errorf("nn: AdamW state with negative step %d", s.Step)
	}
	for i, p := range ps {
		if (s.M[i] == nil) != (s.V[i] == nil) {
			return fmt.Errorf("nn: AdamW state of parameter %d has only one moment", i)
		}
		if s.M[i] != nil && (len(s.M[i]) != len(p.Data) || len(s.V[i]) != len(p.Data)) {
			return fmt.Errorf("nn: AdamW state of parameter %d has %d values, parameter %v has %d", i, len(s.M[i]), p.Shape, len(p.Data))
		}
		if err := s.checkParam(i); err != nil {
			return fmt.Errorf("nn: AdamW state of parameter %d (%s): %w", i, p.Name, err)
		}
	}
	o.step = s.Step
	for i := range ps {
		o.m[i], o.v[i] = nil, nil
		if s.M[i] != nil {
			o.m[i] = append([]float32(nil), s.M[i]...)
			o.v[i] = append([]float32(nil), s.V[i]...)
		}
	}
	return nil
}
