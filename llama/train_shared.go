package llama

import (
	"fmt"
	"slices"

	"github.com/popi-go/popi/nn"
)

// Training log-probs of completions that share a prompt (a GRPO group: several sampled
// summaries of one user's prompt; a DPO pair: chosen and rejected after one prompt) run
// the prompt through the model once. The packed batch holds, for each distinct prompt,
// its rows followed by every completion's input rows (the completion but its last
// token, right-padded to the group's longest); a completion's queries attend to the
// prompt's keys and values and to its own earlier rows (nn.AttentionAt over the
// prompt's keys concatenated with the completion's), and gradients from every
// completion accumulate into the shared prompt rows. For a group of G completions of L
// tokens after a P-token prompt that is P + G·(L-1) rows instead of G·(P+L).

// promptGroup is one distinct prompt of a packed batch and the sequences after it.
type promptGroup struct {
	start   int   // first row of the prompt
	prompt  []int // the prompt's tokens
	members []int // indices of the sequences with this prompt, in batch order
	contLen int   // input rows per completion (the longest completion minus one)
}

// packPrompts groups seqs by prompt (in order of first appearance) and reports whether
// any prompt is shared by two sequences or more (otherwise packing saves nothing).
func packPrompts(seqs []TrainSeq) (groups []promptGroup, shared bool) {
	for i, s := range seqs {
		g := -1
		for k := range groups {
			if slices.Equal(groups[k].prompt, s.Prompt) {
				g = k
				break
			}
		}
		if g < 0 {
			groups = append(groups, promptGroup{prompt: s.Prompt})
			g = len(groups) - 1
		} else {
			shared = true
		}
		groups[g].members = append(groups[g].members, i)
		groups[g].contLen = max(groups[g].contLen, len(s.Completion)-1)
	}
	row := 0
	for k := range groups {
		groups[k].start = row
		row += len(groups[k].prompt) + len(groups[k].members)*groups[k].contLen
	}
	return groups, shared
}

// sharedPromptLogProbs is completionLogProbs (without injection) on the packed layout.
func (t *Trainable) sharedPromptLogProbs(seqs []TrainSeq, groups []promptGroup, scale float32) (*LogProbs, error) {
	d := t.Model.dims
	for i, s := range seqs {
		if n := len(s.Prompt) + len(s.Completion); d.maxPos > 0 && n > d.maxPos {
			return nil, fmt.Errorf("llama: train forward: sequence %d: length %d beyond max_position_embeddings %d", i, n, d.maxPos)
		}
		for j, id := range slices.Concat(s.Prompt, s.Completion) {
			if id < 0 || id >= d.vocab {
				return nil, fmt.Errorf("llama: train forward: sequence %d token %d: id %d outside the vocabulary [0,%d)", i, j, id, d.vocab)
			}
		}
	}
	var flat, pos []int
	for _, g := range groups {
		for j, id := range g.prompt {
			flat = append(flat, id)
			pos = append(pos, j)
		}
		for _, m := range g.members {
			c := seqs[m].Completion
			for j := range g.contLen {
				id := 0 // padding after a shorter completion never influences its rows
				if j < len(c)-1 {
					id = c[j]
				}
				flat = append(flat, id)
				pos = append(pos, len(g.prompt)+j)
			}
		}
	}
	// rows[i] lists the hidden rows predicting sequence i's completion tokens.
	lp := &LogProbs{Offsets: make([]int, len(seqs)+1), Rows: len(flat)}
	rowsOf := make([][]int, len(seqs))
	for _, g := range groups {
		for k, m := range g.members {
			c := seqs[m].Completion
			first := g.start + len(g.prompt) + k*g.contLen
			for j := range c {
				if j == 0 {
					rowsOf[m] = append(rowsOf[m], g.start+len(g.prompt)-1)
				} else {
					rowsOf[m] = append(rowsOf[m], first+j-1)
				}
			}
		}
	}
	var rows, targets []int
	for i, s := range seqs {
		rows = append(rows, rowsOf[i]...)
		targets = append(targets, s.Completion...)
		lp.Offsets[i+1] = len(targets)
	}
	t.ensureRoPE(slices.Max(pos) + 1)
	drop := t.dropoutStream()
	h := t.layers(nn.Embedding(t.Embed, flat), pos, drop, func(q, k, v *nn.Value) *nn.Value {
		return t.sharedAttention(groups, q, k, v)
	})
	if len(rows) == 0 {
		lp.Flat = nn.FromSlice(nil, 0)
		return lp, nil
	}
	lp.Flat = t.headLogProbs(nn.Embedding(h, rows), targets, scale)
	return lp, nil
}

// sharedAttention is the packed layout's causal attention (see sharedPromptLogProbs).
func (t *Trainable) sharedAttention(groups []promptGroup, q, k, v *nn.Value) *nn.Value {
	d := t.Model.dims
	rows := func(x *nn.Value, lo, hi int) *nn.Value {
		if lo == 0 && hi == x.Shape[0] {
			return x
		}
		return nn.Slice(x, 0, lo, hi)
	}
	var parts []*nn.Value
	for _, g := range groups {
		p0, p1 := g.start, g.start+len(g.prompt)
		lp := len(g.prompt)
		kp := nn.Reshape(rows(k, p0, p1), 1, lp, d.kvDim)
		vp := nn.Reshape(rows(v, p0, p1), 1, lp, d.kvDim)
		ap := nn.Attention(nn.Reshape(rows(q, p0, p1), 1, lp, d.qDim), kp, vp, d.heads, d.kvHeads)
		nn.Transient(ap)
		parts = append(parts, nn.Reshape(ap, lp, d.qDim))
		n, lc := len(g.members), g.contLen
		if lc == 0 {
			continue
		}
		c1 := p1 + n*lc
		rep := func(x *nn.Value) *nn.Value { // the prompt's keys or values once per completion
			if n == 1 {
				return x
			}
			xs := make([]*nn.Value, n)
			for i := range xs {
				xs[i] = x
			}
			r := nn.Concat(0, xs...)
			nn.Transient(r)
			return r
		}
		kc := nn.Concat(1, rep(kp), nn.Reshape(rows(k, p1, c1), n, lc, d.kvDim))
		vc := nn.Concat(1, rep(vp), nn.Reshape(rows(v, p1, c1), n, lc, d.kvDim))
		ac := nn.AttentionAt(nn.Reshape(rows(q, p1, c1), n, lc, d.qDim), kc, vc, d.heads, d.kvHeads, lp)
		nn.Transient(kc, vc, ac)
		parts = append(parts, nn.Reshape(ac, n*lc, d.qDim))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	a := nn.Concat(0, parts...)
	nn.Transient(a)
	return a
}
