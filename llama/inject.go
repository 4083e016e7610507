package llama

import (
	"fmt"
	"math"

	"github.com/popi-go/popi/nn"
)

// Embedding injection: a position of a sequence whose input embedding is a
// given vector instead of its token's row of the embedding table. This is how
// a learned latent (for example a user embedding) is fed to the model in
// place of a special token that no text can produce: the token id at that
// position is a placeholder the forward pass never reads.

// Injection overrides the input embedding at Tokens[Pos] of one sequence
// with Vec (Hidden values).
type Injection struct {
	Pos int
	Vec []float32
}

// checkInjections validates the injections of a sequence of n tokens.
func checkInjections(inj []Injection, n, hidden int) error {
	seen := map[int]bool{}
	for k, in := range inj {
		if in.Pos < 0 || in.Pos >= n {
			return fmt.Errorf("injection %d at position %d outside the %d tokens", k, in.Pos, n)
		}
		if len(in.Vec) != hidden {
			return fmt.Errorf("injection %d has %d values, the model's hidden size is %d", k, len(in.Vec), hidden)
		}
		if seen[in.Pos] {
			return fmt.Errorf("two injections at position %d", in.Pos)
		}
		seen[in.Pos] = true
		for _, v := range in.Vec {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("injection %d has a non-finite value", k)
			}
		}
	}
	return nil
}

// ScoreInjected is Score with the prompt's input embeddings overridden by inj
// (positions index prompt).
func (r *Runner) ScoreInjected(prompt []int, inj []Injection, conts [][]int) ([]Score, error) {
	return r.scoreTemp(prompt, inj, conts, 1)
}

// GenerateBatchInjected is GenerateBatch with prompt i's input embeddings
// overridden by inj[i] (len(inj) must equal len(prompts); an entry may be nil).
func (r *Runner) GenerateBatchInjected(prompts [][]int, inj [][]Injection, opts GenerateOptions) ([]Completion, error) {
	if len(inj) != len(prompts) {
		return nil, fmt.Errorf("llama: generate: %d injection lists for %d prompts", len(inj), len(prompts))
	}
	return r.generateBatch(prompts, inj, opts)
}

// TrainInjection overrides input embeddings in a training forward pass with
// differentiable vectors: row k of Vecs ([n, Hidden]) replaces the embedding
// of token Pos[k] of sequence Seq[k]. Gradients flow into Vecs (and, through
// it, into whatever computed it); the overridden tokens' embedding rows get
// none from those positions.
type TrainInjection struct {
	Vecs     *nn.Value
	Seq, Pos []int
}

// CompletionLogProbsInjected is CompletionLogProbs with the input embeddings
// overridden by inj (positions index each sequence's prompt).
func (t *Trainable) CompletionLogProbsInjected(seqs []TrainSeq, inj *TrainInjection, temperature float64) (*LogProbs, error) {
	if inj != nil {
		for k := range inj.Seq {
			if s := inj.Seq[k]; s >= 0 && s < len(seqs) && (inj.Pos[k] < 0 || inj.Pos[k] >= len(seqs[s].Prompt)) {
				return nil, fmt.Errorf("llama: injection %d at position %d outside the %d prompt tokens of sequence %d", k, inj.Pos[k], len(seqs[s].Prompt), s)
			}
		}
	}
	return t.completionLogProbs(seqs, inj, temperature)
}

// HiddenInjected is Hidden with input embeddings overridden by inj.
func (t *Trainable) HiddenInjected(ids [][]int, inj *TrainInjection) (*nn.Value, error) {
	return t.hidden(ids, inj)
}

// inputEmbeddings gathers the embedding rows of flat (B sequences of T
// tokens) and, with inj, replaces the injected rows by inj.Vecs.
func (t *Trainable) inputEmbeddings(flat []int, T int, inj *TrainInjection) (*nn.Value, error) {
	x := nn.Embedding(t.Embed, flat)
	if inj == nil || len(inj.Seq) == 0 {
		return x, nil
	}
	H := t.Model.dims.hidden
	n := len(inj.Seq)
	if inj.Vecs == nil || len(inj.Vecs.Shape) != 2 || inj.Vecs.Shape[0] != n || inj.Vecs.Shape[1] != H || len(inj.Pos) != n {
		return nil, fmt.Errorf("llama: train forward: injection needs %d positions and vectors [%d, %d]", n, n, H)
	}
	B := len(flat) / T
	src := make([]int, len(flat)) // row of Vecs each position reads (0 where not injected)
	cond := make([]bool, len(flat)*H)
	for k := range n {
		s, p := inj.Seq[k], inj.Pos[k]
		if s < 0 || s >= B || p < 0 || p >= T {
			return nil, fmt.Errorf("llama: train forward: injection %d at sequence %d position %d outside the %dx%d batch", k, s, p, B, T)
		}
		row := s*T + p
		if cond[row*H] {
			return nil, fmt.Errorf("llama: train forward: two injections at sequence %d position %d", s, p)
		}
		src[row] = k
		for j := range H {
			cond[row*H+j] = true
		}
	}
	return nn.Where(cond, nn.Embedding(inj.Vecs, src), x), nil
}
