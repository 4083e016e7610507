package llama

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/nn"
)

// TrainSeq is a prompt and the completion whose log-probs are wanted.
type TrainSeq struct {
	Prompt, Completion []int
}

// LogProbs are differentiable per-token log-probs of completions.
type LogProbs struct {
	// Flat holds every completion token's log-prob, sequence after
	// sequence: sequence i is Flat[Offsets[i]:Offsets[i+1]].
	Flat    *nn.Value
	Offsets []int
	// Rows is the number of token rows the pass ran through the decoder
	// blocks (padding included; a prompt shared by several sequences once).
	// The output head ran on Flat's rows only.
	Rows int
	sums *nn.Value
}

// CompletionLogProbs runs the batch (right-padded to a common length, one
// pass) and returns log p(Completion[j] | Prompt, Completion[:j]) for
// every completion token, differentiable into the parameters. Logits are
// computed only at the positions that predict completion tokens. Sequences
// with the same prompt share one pass over it (see packPrompts) unless
// SeparatePrompts is set. With temperature > 0 and != 1 the log-probs are
// those of softmax(logits / temperature), the distribution temperature
// sampling draws from.
func (t *Trainable) CompletionLogProbs(seqs []TrainSeq, temperature float64) (*LogProbs, error) {
	return t.completionLogProbs(seqs, nil, temperature)
}

// completionLogProbs is CompletionLogProbs with input embeddings overridden by inj.
func (t *Trainable) completionLogProbs(seqs []TrainSeq, inj *TrainInjection, temperature float64) (*LogProbs, error) {
	if len(seqs) == 0 {
		return nil, fmt.Errorf("llama: completion log-probs: empty batch")
	}
	if math.IsNaN(temperature) || math.IsInf(temperature, 0) || temperature < 0 {
		return nil, fmt.Errorf("llama: completion log-probs: bad temperature %v", temperature)
	}
	T := 0
	for i, s := range seqs {
		if len(s.Prompt) == 0 {
			return nil, fmt.Errorf("llama: completion log-probs: sequence %d has an empty prompt", i)
		}
		T = max(T, len(s.Prompt)+len(s.Completion))
	}
	scale := float32(1)
	if temperature > 0 && temperature != 1 {
		scale = float32(1 / temperature)
	}
	if inj == nil && !t.SeparatePrompts {
		if groups, shared := packPrompts(seqs); shared {
			return t.sharedPromptLogProbs(seqs, groups, scale)
		}
	}
	ids := make([][]int, len(seqs))
	var rows, targets []int
	offsets := make([]int, 1, len(seqs)+1)
	for i, s := range seqs {
		row := make([]int, T) // padding id 0 never influences earlier positions
		copy(row, s.Prompt)
		copy(row[len(s.Prompt):], s.Completion)
		ids[i] = row
		for j, tok := range s.Completion {
			rows = append(rows, i*T+len(s.Prompt)+j-1)
			targets = append(targets, tok)
		}
		offsets = append(offsets, len(targets))
	}
	h, err := t.hidden(ids, inj)
	if err != nil {
		return nil, err
	}
	lp := &LogProbs{Offsets: offsets, Rows: len(seqs) * T}
	if len(rows) == 0 {
		lp.Flat = nn.FromSlice(nil, 0)
		return lp, nil
	}
	lp.Flat = t.headLogProbs(nn.Embedding(h, rows), targets, scale)
	return lp, nil
}

// Tokens returns the per-token log-probs of each sequence.
func (lp *LogProbs) Tokens() [][]float64 {
	out := make([][]float64, len(lp.Offsets)-1)
	for i := range out {
		seg := lp.Flat.Data[lp.Offsets[i]:lp.Offsets[i+1]]
		out[i] = make([]float64, len(seg))
		for j, v := range seg {
			out[i][j] = float64(v)
		}
	}
	return out
}

// Sums returns the differentiable sequence log-probs [B] (sum over each
// completion's tokens).
func (lp *LogProbs) Sums() *nn.Value {
	if lp.sums != nil {
		return lp.sums
	}
	B, R := len(lp.Offsets)-1, lp.Flat.Numel()
	if R == 0 {
		lp.sums = nn.FromSlice(make([]float32, B), B)
		return lp.sums
	}
	sel := make([]float32, B*R) // sel[i, r] = 1 when token r belongs to sequence i
	for i := 0; i < B; i++ {
		for r := lp.Offsets[i]; r < lp.Offsets[i+1]; r++ {
			sel[i*R+r] = 1
		}
	}
	s := nn.Linear(nn.Reshape(lp.Flat, 1, R), nn.FromSlice(sel, B, R))
	lp.sums = nn.Reshape(s, B)
	return lp.sums
}

// Backward accumulates parameter gradients given d(loss)/d(log-prob) for
// every completion token, shaped like Tokens().
func (lp *LogProbs) Backward(dlp [][]float64) error {
	if len(dlp) != len(lp.Offsets)-1 {
		return fmt.Errorf("llama: log-prob backward: %d gradient rows for %d sequences", len(dlp), len(lp.Offsets)-1)
	}
	seed := make([]float32, lp.Flat.Numel())
	for i, g := range dlp {
		n := lp.Offsets[i+1] - lp.Offsets[i]
		if len(g) != n {
			return fmt.Errorf("llama: log-prob backward: sequence %d has %d gradients for %d tokens", i, len(g), n)
		}
		for j, v := range g {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("llama: log-prob backward: sequence %d token %d: gradient %v", i, j, v)
			}
			seed[lp.Offsets[i]+j] = float32(v)
		}
	}
	if len(seed) == 0 {
		return nil
	}
	return lp.Flat.BackwardWith(seed)
}
