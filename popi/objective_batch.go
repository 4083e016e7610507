package popi

import (
	"fmt"
	"strings"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// BatchScorer is a SequenceScorer that also scores many prompts with their continuations
// in shared forward passes (llama.Runner.ScoreMany), with the results Score gives item by
// item. Objective.SummaryLosses batches through it.
type BatchScorer interface {
	SequenceScorer
	ScoreMany(items []llama.ScoreItem) ([][]llama.Score, error)
}

// SummaryLosses returns the objective of every summary on every pair alone:
// out[i][j] = SummaryLoss(summaries[i], pairs[j:j+1]), bit for bit. With a local generator
// (a BatchScorer, not a concurrent remote scorer) all (summary, pair) combinations, and the
// reference log-probs not yet cached, are scored in shared passes; otherwise pair by pair.
// It counts GeneratorTokens and RefScorings as the pair-by-pair calls do.
func (o *Objective) SummaryLosses(summaries []string, pairs []data.PrefPair) ([][]float64, error) {
	o.mu.Lock()
	gen, ok := o.gen.(BatchScorer)
	batch := ok && !o.remote
	o.mu.Unlock()
	out := make([][]float64, len(summaries))
	if !batch {
		for i, z := range summaries {
			out[i] = make([]float64, len(pairs))
			for j, p := range pairs {
				l, err := o.SummaryLoss(z, []data.PrefPair{p})
				if err != nil {
					return nil, fmt.Errorf("summary %d: %w", i, err)
				}
				out[i][j] = l
			}
		}
		return out, nil
	}
	noInfo, err := o.NoInformationLoss()
	if err != nil {
		return nil, err
	}
	// The generator's items: every non-blank summary with every pair.
	type combo struct{ sum, pair, tokens int }
	var combos []combo
	var items []llama.ScoreItem
	for i, z := range summaries {
		out[i] = make([]float64, len(pairs))
		if strings.TrimSpace(z) == "" {
			for j := range out[i] {
				out[i][j] = noInfo
			}
			continue
		}
		for j, p := range pairs {
			if err := checkPair(p); err != nil {
				return nil, fmt.Errorf("summary %d: pair 0: %w", i, err)
			}
			m, err := o.P.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondSummary, Summary: z}, p.Prompt)
			if err != nil {
				return nil, fmt.Errorf("summary %d: pair 0: %w", i, err)
			}
			it := llama.ScoreItem{Prompt: o.Enc.Prompt(m), Conts: [][]int{o.Enc.Reply(p.Chosen), o.Enc.Reply(p.Rejected)}}
			combos = append(combos, combo{i, j, len(it.Prompt) + len(it.Conts[0]) + len(it.Conts[1])})
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return out, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	// The references not cached yet, scored with the generator's items when both are the
	// same model.
	var refPairs []data.PrefPair
	seen := map[string]bool{}
	for _, p := range pairs {
		if k := pairKey(p); !seen[k] && !o.hasRef(k) {
			seen[k] = true
			refPairs = append(refPairs, p)
		}
	}
	var refItems []llama.ScoreItem
	for _, p := range refPairs {
		m, err := o.P.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondPrompt}, p.Prompt)
		if err != nil {
			return nil, err
		}
		refItems = append(refItems, llama.ScoreItem{Prompt: o.Enc.Prompt(m), Conts: [][]int{o.Enc.Reply(p.Chosen), o.Enc.Reply(p.Rejected)}})
	}
	var genScores [][]llama.Score
	if o.Ref == o.Gen && len(refItems) > 0 {
		sc, err := gen.ScoreMany(append(refItems, items...))
		if err != nil {
			return nil, fmt.Errorf("popi: reference and generator log-probs: %w", err)
		}
		if err := o.storeRefs(refPairs, refItems, sc[:len(refItems)]); err != nil {
			return nil, err
		}
		genScores = sc[len(refItems):]
	} else {
		if len(refItems) > 0 {
			var sc [][]llama.Score
			if ref, ok := o.ref.(BatchScorer); ok {
				sc, err = ref.ScoreMany(refItems)
			} else {
				sc = make([][]llama.Score, len(refItems))
				for k, it := range refItems {
					if sc[k], err = o.ref.Score(it.Prompt, it.Conts); err != nil {
						break
					}
				}
			}
			if err != nil {
				return nil, fmt.Errorf("popi: reference log-probs: %w", err)
			}
			if err := o.storeRefs(refPairs, refItems, sc); err != nil {
				return nil, err
			}
		}
		if genScores, err = gen.ScoreMany(items); err != nil {
			return nil, fmt.Errorf("popi: generator log-probs: %w", err)
		}
	}
	for k, c := range combos {
		o.genTokens += int64(c.tokens)
		p := pairs[c.pair]
		gc, gr := genScores[k][0].LogProb, genScores[k][1].LogProb
		if !finite(gc) || !finite(gr) {
			return nil, fmt.Errorf("summary %d: pair 0: popi: generator log-probs: popi: non-finite log-prob (chosen %v, rejected %v)", c.sum, gc, gr)
		}
		ref := o.cache[pairKey(p)]
		lp := rl.PairLogProbs{Chosen: gc, Rejected: gr, RefChosen: ref[0], RefRejected: ref[1]}
		res, err := rl.PreferenceLossTokens(o.Pref, lp, rl.PairTokens{Chosen: len(items[k].Conts[0]), Rejected: len(items[k].Conts[1])})
		if err != nil {
			return nil, fmt.Errorf("summary %d: pair 0: %w", c.sum, err)
		}
		sum := 0.0 // as Loss over one pair: the sum, divided by 1
		sum += res.Loss
		out[c.sum][c.pair] = sum / 1
	}
	return out, nil
}

// hasRef reports whether the reference log-probs of the pair with key k are cached
// (o.mu held).
func (o *Objective) hasRef(k string) bool { _, ok := o.cache[k]; return ok }

// storeRefs caches the reference log-probs of pairs from their scores, as Reference does
// (o.mu held).
func (o *Objective) storeRefs(pairs []data.PrefPair, items []llama.ScoreItem, sc [][]llama.Score) error {
	for k, p := range pairs {
		o.refTokens += int64(len(items[k].Prompt) + len(items[k].Conts[0]) + len(items[k].Conts[1]))
		c, r := sc[k][0].LogProb, sc[k][1].LogProb
		if !finite(c) || !finite(r) {
			return fmt.Errorf("popi: reference log-probs: popi: non-finite log-prob (chosen %v, rejected %v)", c, r)
		}
		o.refScores++
		o.cache[pairKey(p)] = [2]float64{c, r}
	}
	return nil
}
