package rl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// tabularPolicy is a toy policy for tests: for context c = prompt.IDs[0] and completion
// position t, token y has probability softmax(theta[c][t])[y], independent of earlier tokens.
// Token eos ends a completion. It has exact analytic gradients.
type tabularPolicy struct {
	ctxs, pos, vocab int
	eos              int
	theta, grad      []float64
	backwardCalls    int
}

func newTabular(ctxs, pos, vocab int) *tabularPolicy {
	n := ctxs * pos * vocab
	return &tabularPolicy{ctxs: ctxs, pos: pos, vocab: vocab, theta: make([]float64, n), grad: make([]float64, n)}
}

func (p *tabularPolicy) clone() *tabularPolicy {
	q := *p
	q.theta = append([]float64(nil), p.theta...)
	q.grad = make([]float64, len(p.grad))
	return &q
}

func (p *tabularPolicy) row(c, t int) []float64 {
	o := (c*p.pos + t) * p.vocab
	return p.theta[o : o+p.vocab]
}

func logSoftmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - m)
	}
	ls := m + math.Log(s)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - ls
	}
	return out
}

func (p *tabularPolicy) context(ids []int) (int, error) {
	if len(ids) == 0 || ids[0] < 0 || ids[0] >= p.ctxs {
		return 0, fmt.Errorf("toy: bad prompt %v", ids)
	}
	return ids[0], nil
}

func (p *tabularPolicy) Sample(ctx context.Context, pr Prompt, n int, o SampleOptions, rng *rand.Rand) ([]Completion, error) {
	c, err := p.context(pr.IDs)
	if err != nil {
		return nil, err
	}
	out := make([]Completion, n)
	for k := range out {
		var ids []int
		finished := false
		for t := 0; t < min(o.MaxTokens, p.pos); t++ {
			y := sampleRow(p.row(c, t), o, rng)
			ids = append(ids, y)
			if y == p.eos {
				finished = true
				break
			}
		}
		out[k] = Completion{IDs: ids, Text: fmt.Sprint(ids), Finished: finished}
	}
	return out, nil
}

// sampleRow samples from softmax(logits/T) restricted to the top-p nucleus.
func sampleRow(logits []float64, o SampleOptions, rng *rand.Rand) int {
	if o.Temperature == 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}
	scaled := make([]float64, len(logits))
	for i, v := range logits {
		scaled[i] = v / o.Temperature
	}
	lp := logSoftmax(scaled)
	idx := make([]int, len(lp))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return lp[idx[a]] > lp[idx[b]] })
	keep, mass := 0, 0.0
	for _, i := range idx {
		mass += math.Exp(lp[i])
		keep++
		if o.TopP > 0 && o.TopP < 1 && mass >= o.TopP {
			break
		}
	}
	u := rng.Float64() * mass
	for _, i := range idx[:keep] {
		u -= math.Exp(lp[i])
		if u < 0 {
			return i
		}
	}
	return idx[keep-1]
}

func (p *tabularPolicy) Score(ctx context.Context, batch []Sequence) ([][]float64, error) {
	out := make([][]float64, len(batch))
	for i, s := range batch {
		c, err := p.context(s.Prompt)
		if err != nil {
			return nil, err
		}
		if len(s.Completion) > p.pos {
			return nil, errors.New("toy: completion too long")
		}
		out[i] = make([]float64, len(s.Completion))
		for t, y := range s.Completion {
			out[i][t] = logSoftmax(p.row(c, t))[y]
		}
	}
	return out, nil
}

func (p *tabularPolicy) LogProbs(ctx context.Context, batch []Sequence) ([][]float64, Backward, error) {
	lp, err := p.Score(ctx, batch)
	if err != nil {
		return nil, nil, err
	}
	used := false
	bw := func(dlp [][]float64) error {
		if used {
			return errors.New("toy: backward called twice")
		}
		used = true
		p.backwardCalls++
		if err := checkShape(dlp, batch); err != nil {
			return err
		}
		for i, s := range batch {
			c := s.Prompt[0]
			for t, y := range s.Completion {
				ls := logSoftmax(p.row(c, t))
				o := (c*p.pos + t) * p.vocab
				for k := range ls {
					ind := 0.0
					if k == y {
						ind = 1
					}
					p.grad[o+k] += dlp[i][t] * (ind - math.Exp(ls[k]))
				}
			}
		}
		return nil
	}
	return lp, bw, nil
}

// adam is a tiny Adam optimizer over a slice of parameters.
type adam struct {
	params, grad []float64
	m, v         []float64
	t            int
	steps        []float64 // learning rates received, for tests
	lastGrad     []float64
}

func newAdam(params, grad []float64) *adam {
	return &adam{params: params, grad: grad, m: make([]float64, len(params)), v: make([]float64, len(params))}
}

func (a *adam) ZeroGrad() { clear(a.grad) }

func (a *adam) Step(lr float64) error {
	a.t++
	a.steps = append(a.steps, lr)
	a.lastGrad = append(a.lastGrad[:0], a.grad...)
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	for i, g := range a.grad {
		a.m[i] = b1*a.m[i] + (1-b1)*g
		a.v[i] = b2*a.v[i] + (1-b2)*g*g
		a.params[i] -= lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + eps)
	}
	return nil
}

// patternReward rewards matching the target pattern stored in the prompt's Data: the
// fraction of target positions (the target ends with eos) the completion reproduces.
func patternReward(_ context.Context, p Prompt, c Completion) (float64, error) {
	target, ok := p.Data.([]int)
	if !ok {
		return 0, fmt.Errorf("prompt data %T is not a target", p.Data)
	}
	hit := 0
	for t, y := range target {
		if t < len(c.IDs) && c.IDs[t] == y {
			hit++
		}
	}
	return float64(hit) / float64(len(target)), nil
}
