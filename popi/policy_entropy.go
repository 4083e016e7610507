package popi

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/rl"
)

// Entropies implements rl.EntropyScorer: for every completion token, the entropy (nats) of
// the policy's next-token distribution softmax(logits / Temperature) at that position,
// computed from the logits of an inference forward pass (no gradient). Consecutive
// sequences with equal prompts share one prefill.
func (p *LMPolicy) Entropies(ctx context.Context, batch []rl.Sequence) ([][]float64, error) {
	if err := checkSeqs(batch); err != nil {
		return nil, err
	}
	inv := 1.0
	if p.scaled() {
		inv = 1 / p.Temperature
	}
	if p.entRunner == nil {
		p.entRunner = p.Model.NewRunner()
	}
	r := p.entRunner
	V := p.Model.Config.Vocab
	out := make([][]float64, len(batch))
	for s := 0; s < len(batch); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := s + 1
		longest := len(batch[s].Completion)
		for e < len(batch) && slices.Equal(batch[e].Prompt, batch[s].Prompt) {
			longest = max(longest, len(batch[e].Completion))
			e++
		}
		prompt := batch[s].Prompt
		base := p.Model.NewKVCache(len(prompt) + longest)
		pre := []llama.Seq{{Cache: base, Tokens: prompt}}
		if err := r.Forward(pre); err != nil {
			return nil, fmt.Errorf("popi: entropy prefill: %w", err)
		}
		first := entropyOf(pre[0].Logits[:V], inv)
		for i := s; i < e; i++ {
			c := batch[i].Completion
			h := make([]float64, len(c))
			if len(c) > 0 {
				h[0] = first
			}
			if len(c) > 1 {
				kv := p.Model.NewKVCache(len(prompt) + len(c))
				if err := kv.CopyFrom(base); err != nil {
					return nil, err
				}
				seq := []llama.Seq{{Cache: kv, Tokens: c[:len(c)-1], AllLogits: true}}
				if err := r.Forward(seq); err != nil {
					return nil, fmt.Errorf("popi: entropy forward: %w", err)
				}
				for t := 1; t < len(c); t++ {
					h[t] = entropyOf(seq[0].Logits[(t-1)*V:t*V], inv)
				}
			}
			out[i] = h
		}
		s = e
	}
	return out, nil
}

// entropyOf is the entropy of softmax(logits · inv) in nats, accumulated in float64.
func entropyOf(logits []float32, inv float64) float64 {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = max(mx, float64(v)*inv)
	}
	var z, zx float64 // Σ e^(x-m), Σ (x-m) e^(x-m)
	for _, v := range logits {
		d := float64(v)*inv - mx
		w := math.Exp(d)
		z += w
		zx += d * w
	}
	// H = log Z - E[x - m].
	return math.Log(z) - zx/z
}

var _ rl.EntropyScorer = (*LMPolicy)(nil)
