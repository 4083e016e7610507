package nn

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/kernels"
)

// SGD is stochastic gradient descent with optional momentum (PyTorch
// convention: buf = μ·buf + g, p -= lr·buf; the first step sets buf = g)
// and L2 weight decay added to the gradient (g += wd·p). It satisfies
// rl.Optimizer.
type SGD struct {
	Groups   []ParamGroup
	Momentum float64
	buf      [][]float32
}

// NewSGD returns an SGD optimizer.
func NewSGD(momentum float64, groups ...ParamGroup) *SGD {
	n := 0
	for _, g := range groups {
		n += len(g.Params)
	}
	return &SGD{Groups: groups, Momentum: momentum, buf: make([][]float32, n)}
}

// ZeroGrad zeroes every parameter's gradient.
func (o *SGD) ZeroGrad() {
	for _, g := range o.Groups {
		ZeroGrads(g.Params)
	}
}

// Step applies one update; a non-finite gradient is an error and nothing is
// updated.
func (o *SGD) Step(lr float64) error {
	if math.IsNaN(lr) || math.IsInf(lr, 0) || lr < 0 {
		return fmt.Errorf("nn: SGD step with learning rate %v", lr)
	}
	if err := checkGrads(o.Groups); err != nil {
		return err
	}
	idx := 0
	for _, g := range o.Groups {
		glr := float32(g.lr(lr))
		wd := float32(g.WeightDecay)
		for _, p := range g.Params {
			i := idx
			idx++
			if !p.RequiresGrad || p.Grad == nil {
				continue
			}
			d := p.Grad
			if wd != 0 {
				d = append([]float32(nil), p.Grad...)
				kernels.Axpy(wd, p.Data, d)
			}
			if o.Momentum != 0 {
				if o.buf[i] == nil {
					o.buf[i] = append([]float32(nil), d...)
				} else {
					kernels.Scale(float32(o.Momentum), o.buf[i])
					kernels.Axpy(1, d, o.buf[i])
				}
				d = o.buf[i]
			}
			kernels.Axpy(-glr, d, p.Data)
		}
	}
	return nil
}
