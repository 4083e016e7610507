package popi

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// Objective evaluates the summary-augmented preference objective: Eq. 1 (DPO) or Eq. 2
// (IPO) of the paper,
//
//	h = [log πθ(y_c|x,z) − log πref(y_c|x)] − [log πθ(y_r|x,z) − log πref(y_r|x)],
//
// where πθ is the generator conditioned on the summary z and πref the reference generator
// with the Base-Model condition (prompt only). The reference term of a pair does not depend
// on z and is computed once per pair and cached. Both responses of a pair are scored after
// one shared prefill of the conditioned prompt. Sequence log-probs are sums over the
// response tokens and the end-of-turn token.
//
// An Objective is safe for use by one goroutine at a time.
type Objective struct {
	Gen  *llama.Model // πθ
	Ref  *llama.Model // πθ_ref
	Enc  *prompt.ChatEncoder
	P    prompt.Prompting
	Pref rl.PreferenceConfig

	mu        sync.Mutex
	cache     map[string][2]float64
	refScores int
	genTokens int64 // tokens the generator has scored (prompts and replies)
	refTokens int64 // tokens the reference has scored (prompts and replies)
	gen, ref  SequenceScorer
	// remote: gen is a scorer safe for concurrent use (SetScorer), called without mu.
	remote bool
}

// SequenceScorer scores continuations of a prompt: log p(cont | prompt) per token and
// summed. A llama.Runner is one (not safe for concurrent use); serve.RemoteScorer, which
// asks OpenAI-compatible servers for prompt log-probs, is another (safe for it).
type SequenceScorer interface {
	Score(prompt []int, conts [][]int) ([]llama.Score, error)
}

// SetScorer hands the frozen generator's scoring, πθ and πref both, to s (safe for
// concurrent use; for example remote servers). Use it while Gen and Ref are the same
// frozen model (Stage 1); SetGenerator later replaces πθ's scoring with a local runner.
func (o *Objective) SetScorer(s SequenceScorer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gen, o.ref, o.remote = s, s, true
}

// Concurrent reports whether the objective may be called from several goroutines at once
// with a gain (its generator scoring is a concurrent scorer).
func (o *Objective) Concurrent() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.remote
}

// NewObjective checks its inputs and returns an objective with an empty reference cache.
func NewObjective(gen, ref *llama.Model, enc *prompt.ChatEncoder, p prompt.Prompting, pref rl.PreferenceConfig) (*Objective, error) {
	if gen == nil || ref == nil || enc == nil {
		return nil, errors.New("popi: NewObjective: generator, reference and encoder are required")
	}
	if err := pref.Validate(); err != nil {
		return nil, err
	}
	return &Objective{Gen: gen, Ref: ref, Enc: enc, P: p, Pref: pref, cache: map[string][2]float64{},
		gen: gen.NewRunner(), ref: ref.NewRunner()}, nil
}

// SetGenerator replaces πθ (for example by a Stage-2 trained copy); the reference cache stays.
func (o *Objective) SetGenerator(gen *llama.Model) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.Gen, o.gen, o.remote = gen, gen.NewRunner(), false
}

// GeneratorTokens counts the tokens the generator has scored so far (each pair's
// conditioned prompt once and both replies), the work behind Stage 1's rewards.
func (o *Objective) GeneratorTokens() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.genTokens
}

// ReferenceTokens counts the tokens the reference has scored so far (each distinct pair's
// unconditioned prompt once and both replies; cached afterwards).
func (o *Objective) ReferenceTokens() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refTokens
}

// RefScorings counts the reference forward passes made so far (one per distinct pair).
func (o *Objective) RefScorings() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refScores
}

func pairKey(p data.PrefPair) string { return p.Prompt + "\x00" + p.Chosen + "\x00" + p.Rejected }

func checkPair(p data.PrefPair) error {
	if strings.TrimSpace(p.Prompt) == "" || strings.TrimSpace(p.Chosen) == "" || strings.TrimSpace(p.Rejected) == "" {
		return errors.New("popi: preference pair with an empty prompt or response")
	}
	return nil
}

// ScorePair returns log π(y_c|prefix) and log π(y_r|prefix) with one shared prefill of
// the rendered messages m.
func ScorePair(r SequenceScorer, enc *prompt.ChatEncoder, m prompt.Messages, p data.PrefPair) (chosen, rejected float64, err error) {
	chosen, rejected, _, err = scorePair(r, enc, m, p)
	return chosen, rejected, err
}

// scorePair is ScorePair that also returns the number of tokens run through the model
// (the prompt once, both replies).
func scorePair(r SequenceScorer, enc *prompt.ChatEncoder, m prompt.Messages, p data.PrefPair) (chosen, rejected float64, tokens int, err error) {
	ids, yc, yr := enc.Prompt(m), enc.Reply(p.Chosen), enc.Reply(p.Rejected)
	tokens = len(ids) + len(yc) + len(yr)
	sc, err := r.Score(ids, [][]int{yc, yr})
	if err != nil {
		return 0, 0, tokens, err
	}
	c, rj := sc[0].LogProb, sc[1].LogProb
	if math.IsNaN(c) || math.IsInf(c, 0) || math.IsNaN(rj) || math.IsInf(rj, 0) {
		return 0, 0, tokens, fmt.Errorf("popi: non-finite log-prob (chosen %v, rejected %v)", c, rj)
	}
	return c, rj, tokens, nil
}

// Reference returns the cached reference log-probs of a pair, log πref(y|x) for y_c and
// y_r, scoring them on first use.
func (o *Objective) Reference(p data.PrefPair) (chosen, rejected float64, err error) {
	if err := checkPair(p); err != nil {
		return 0, 0, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k := pairKey(p)
	if v, ok := o.cache[k]; ok {
		return v[0], v[1], nil
	}
	m, err := o.P.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondPrompt}, p.Prompt)
	if err != nil {
		return 0, 0, err
	}
	c, r, n, err := scorePair(o.ref, o.Enc, m, p)
	if err != nil {
		return 0, 0, fmt.Errorf("popi: reference log-probs: %w", err)
	}
	o.refTokens += int64(n)
	o.refScores++
	o.cache[k] = [2]float64{c, r}
	return c, r, nil
}

// PairLogProbs scores one pair under conditioning c with the generator and fills in the
// cached reference.
func (o *Objective) PairLogProbs(c prompt.Conditioning, p data.PrefPair) (rl.PairLogProbs, error) {
	rc, rr, err := o.Reference(p)
	if err != nil {
		return rl.PairLogProbs{}, err
	}
	m, err := o.P.GeneratorMessages(c, p.Prompt)
	if err != nil {
		return rl.PairLogProbs{}, err
	}
	o.mu.Lock()
	gen, remote := o.gen, o.remote
	if remote {
		o.mu.Unlock()
	}
	gc, gr, n, err := scorePair(gen, o.Enc, m, p)
	if remote {
		o.mu.Lock()
	}
	o.genTokens += int64(n)
	o.mu.Unlock()
	if err != nil {
		return rl.PairLogProbs{}, fmt.Errorf("popi: generator log-probs: %w", err)
	}
	return rl.PairLogProbs{Chosen: gc, Rejected: gr, RefChosen: rc, RefRejected: rr}, nil
}

// Loss is the mean objective ℓ over pairs with the generator conditioned by c.
func (o *Objective) Loss(c prompt.Conditioning, pairs []data.PrefPair) (float64, error) {
	if len(pairs) == 0 {
		return 0, errors.New("popi: objective over no pairs")
	}
	sum := 0.0
	for i, p := range pairs {
		lp, err := o.PairLogProbs(c, p)
		if err != nil {
			return 0, fmt.Errorf("pair %d: %w", i, err)
		}
		res, err := rl.PreferenceLossTokens(o.Pref, lp, o.pairTokens(p))
		if err != nil {
			return 0, fmt.Errorf("pair %d: %w", i, err)
		}
		sum += res.Loss
	}
	return sum / float64(len(pairs)), nil
}

// NoInformationLoss is ℓ at h = 0 (the generator's log-ratios to the reference equal for
// both responses): log 2 for DPO, 1/(4β²) for IPO. It is the loss assigned to an empty
// summary, which carries no information.
func (o *Objective) NoInformationLoss() (float64, error) {
	res, err := rl.PreferenceLossTokens(o.Pref, rl.PairLogProbs{}, rl.PairTokens{Chosen: 1, Rejected: 1})
	return res.Loss, err
}

// pairTokens are the scored lengths of a pair's responses (reply and end-of-turn token),
// which the per-token mean form (Pref.MeanLogProbs) divides by.
func (o *Objective) pairTokens(p data.PrefPair) rl.PairTokens {
	return rl.PairTokens{Chosen: len(o.Enc.Reply(p.Chosen)), Rejected: len(o.Enc.Reply(p.Rejected))}
}

// SummaryLoss is the objective of a sampled summary over pairs; a blank summary gets
// NoInformationLoss.
func (o *Objective) SummaryLoss(summary string, pairs []data.PrefPair) (float64, error) {
	if strings.TrimSpace(summary) == "" {
		return o.NoInformationLoss()
	}
	return o.Loss(prompt.Conditioning{Cond: prompt.CondSummary, Summary: summary}, pairs)
}

// DefaultAlpha is the paper's KL weight: 0.002·β for DPO, 0.002·2/β for IPO.
func DefaultAlpha(kind rl.PreferenceKind, beta float64) float64 {
	if kind == rl.IPOLoss {
		return 0.002 * 2 / beta
	}
	return 0.002 * beta
}
