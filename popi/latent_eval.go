package popi

import (
	"context"
	"fmt"
	"math"

	"github.com/popi-go/popi/llama"
)

// evalItem is one held-out (episode, target) pair of an evaluation.
type evalItem struct{ ep, t int }

// runLatent evaluates a latent method like every other (section 5.1): reward accuracy of
// its generator's margins with each held-out user's fitted embedding in the latent slot
// against the Base-Model's margins, win rate of its responses against the Base-Model's,
// and Avg. Len. as the number of special positions (LatentSlots, marked † in the table).
func (e *Evaluation) runLatent(ctx context.Context, mm MethodModel, all, judged []evalItem, baseMargins []float64, baseResp []string) (RunMetrics, MethodDetail, error) {
	fit := mm.Latent
	if fit == nil || mm.Gen == nil {
		return RunMetrics{}, MethodDetail{}, fmt.Errorf("popi: %v needs its fine-tuned generator and its held-out users' fitted embeddings", mm.Method)
	}
	if mm.Responder != nil {
		return RunMetrics{}, MethodDetail{}, fmt.Errorf("popi: %v cannot answer with another generator: its user embeddings are tied to its own", mm.Method)
	}
	if len(fit.Model.Users) != len(e.Episodes) {
		return RunMetrics{}, MethodDetail{}, fmt.Errorf("popi: %v has embeddings for %d held-out episodes, the evaluation has %d", mm.Method, len(fit.Model.Users), len(e.Episodes))
	}
	rm := RunMetrics{Method: e.label(mm.Method), Dataset: e.Dataset, Seed: e.Seed, Pairs: len(all), AvgLen: F(LatentSlots), SpecialTokens: true}
	det := MethodDetail{Method: rm.Method}
	byPersona := newPersonaBreakdown(e.Episodes)
	prep := func(it evalItem) ([]int, llama.Injection, error) {
		ids, slot, err := latentPromptIDs(e.Enc, e.P, e.Episodes[it.ep].Targets[it.t].Prompt, fit.Placeholder)
		if err != nil {
			return nil, llama.Injection{}, err
		}
		inj, err := fit.injection(it.ep, ids, slot)
		return ids, inj, err
	}
	if baseMargins != nil {
		r := mm.Gen.NewRunner()
		ms := make([]PairMargin, len(all))
		sum := 0.0
		for k, it := range all {
			ids, inj, err := prep(it)
			if err != nil {
				return rm, det, err
			}
			t := e.Episodes[it.ep].Targets[it.t]
			sc, err := r.ScoreInjected(ids, []llama.Injection{inj}, [][]int{e.Enc.Reply(t.Chosen), e.Enc.Reply(t.Rejected)})
			if err != nil {
				return rm, det, fmt.Errorf("popi: %v margin: %w", mm.Method, err)
			}
			c, rj := sc[0].LogProb, sc[1].LogProb
			if math.IsNaN(c-rj) || math.IsInf(c-rj, 0) {
				return rm, det, fmt.Errorf("popi: %v margin: non-finite log-prob (chosen %v, rejected %v)", mm.Method, c, rj)
			}
			ms[k] = PairMargin{Method: c - rj, Base: baseMargins[k]}
			byPersona.addMargin(e.Episodes[it.ep].Persona, ms[k])
			sum += c - rj
		}
		acc, err := RewardAccuracy(ms)
		if err != nil {
			return rm, det, err
		}
		rm.Acc = F(acc)
		det.MeanMargin = F(sum / float64(len(ms)))
	}
	if e.Judge != nil {
		resp, err := e.latentResponses(ctx, mm.Gen, judged, prep)
		if err != nil {
			return rm, det, fmt.Errorf("popi: %v responses: %w", mm.Method, err)
		}
		if err := e.judgeResponses(ctx, mm.Method, judged, resp, baseResp, byPersona, &rm, &det, func(evalItem) string { return "" }); err != nil {
			return rm, det, err
		}
	}
	rm.ByPersona = byPersona.metrics()
	return rm, det, nil
}

// latentResponses answers the judged prompts with gen and each user's embedding in the
// latent slot, batched and seeded exactly as LocalGenerator answers the other methods.
func (e *Evaluation) latentResponses(ctx context.Context, gen *llama.Model, judged []evalItem, prep func(evalItem) ([]int, llama.Injection, error)) ([]string, error) {
	if e.Config.MaxTokens <= 0 {
		return nil, fmt.Errorf("popi: response MaxTokens must be > 0, got %d", e.Config.MaxTokens)
	}
	const bs = 16 // LocalGenerator's default batch
	r := gen.NewRunner()
	out := make([]string, len(judged))
	for s := 0; s < len(judged); s += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(s+bs, len(judged))
		prompts := make([][]int, end-s)
		injs := make([][]llama.Injection, end-s)
		for i := s; i < end; i++ {
			ids, inj, err := prep(judged[i])
			if err != nil {
				return nil, err
			}
			prompts[i-s], injs[i-s] = ids, []llama.Injection{inj}
		}
		cs, err := r.GenerateBatchInjected(prompts, injs, llama.GenerateOptions{
			SampleOptions: llama.SampleOptions{Temperature: e.Config.Temperature},
			MaxTokens:     e.Config.MaxTokens, Seed: e.Config.Seed + uint64(s)*0x9e3779b97f4a7c15, StopTokens: []int{e.Enc.End},
		})
		if err != nil {
			return nil, fmt.Errorf("popi: generation: %w", err)
		}
		for i, c := range cs {
			out[s+i] = e.Enc.DecodeReply(c.Tokens)
		}
	}
	return out, nil
}
