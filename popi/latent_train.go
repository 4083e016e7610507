package popi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// LatentSlots is the number of special positions a latent method adds to the Base-Model
// prompt (its Avg. Len., marked † in the tables as in the paper's Table 1).
const LatentSlots = 1

// latentPromptIDs renders a pair's prompt with the Base-Model condition and inserts the
// latent slot: right after <|begin_of_text|> when the prompt starts with it, else first.
// The slot holds placeholder, an id the forward pass never reads (llama.Injection), so no
// text can produce, move or remove it.
func latentPromptIDs(enc *prompt.ChatEncoder, p prompt.Prompting, text string, placeholder int) (ids []int, slot int, err error) {
	m, err := p.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondPrompt}, text)
	if err != nil {
		return nil, 0, err
	}
	base := enc.Prompt(m)
	if len(base) == 0 {
		return nil, 0, errors.New("popi: empty rendered prompt")
	}
	if bos, ok := enc.Tok.SpecialID("<|begin_of_text|>"); ok && base[0] == bos {
		slot = 1
	}
	ids = make([]int, 0, len(base)+1)
	ids = append(ids, base[:slot]...)
	ids = append(ids, placeholder)
	ids = append(ids, base[slot:]...)
	return ids, slot, nil
}

// withoutSlot is ids with position slot removed (the Base-Model prompt).
func withoutSlot(ids []int, slot int) []int {
	out := make([]int, 0, len(ids)-1)
	out = append(out, ids[:slot]...)
	return append(out, ids[slot+1:]...)
}

// promptReps computes PAL-B's prompt representation r(x): the mean of the frozen base
// generator's final (normed) hidden states over the Base-Model prompt, cached per prompt.
type promptReps struct {
	tr    *llama.Trainable
	cache map[string][]float32
}

func newPromptReps(base *llama.Model) *promptReps {
	return &promptReps{tr: base.Trainable(), cache: map[string][]float32{}}
}

func (r *promptReps) get(ids []int) ([]float32, error) {
	key := fmt.Sprint(ids)
	if v, ok := r.cache[key]; ok {
		return v, nil
	}
	var h *nn.Value
	var err error
	nn.NoGrad(func() { h, err = r.tr.Hidden([][]int{ids}) })
	if err != nil {
		return nil, err
	}
	H := h.Shape[1]
	out := make([]float32, H)
	sum := make([]float64, H)
	for t := range len(ids) {
		for j, v := range h.Data[t*H : (t+1)*H] {
			sum[j] += float64(v)
		}
	}
	for j := range out {
		out[j] = float32(sum[j] / float64(len(ids)))
	}
	r.cache[key] = out
	return out, nil
}

// latentPolicy is the generator conditioned on latent user embeddings, as an
// rl.Differentiable: a sequence's prompt carries its latent slot as the negative id
// -1-u (user row u of LM); the slot's embedding is LM's e_u, injected in place of the
// placeholder token. Gradients reach the generator's trainable parameters (if any) and
// LM's parameters.
type latentPolicy struct {
	LM          *LatentModel
	Train       *llama.Trainable
	Placeholder int
	Reps        *promptReps // PAL-B only
}

func latentMarker(user int) int { return -1 - user }

// LogProbs implements rl.Differentiable: per-token completion log-probs with each
// sequence's user embedding in its latent slot, and their backward.
func (p *latentPolicy) LogProbs(ctx context.Context, batch []rl.Sequence) ([][]float64, rl.Backward, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	seqs := make([]llama.TrainSeq, len(batch))
	users, pos, idx := make([]int, len(batch)), make([]int, len(batch)), make([]int, len(batch))
	var reps [][]float32
	for i, s := range batch {
		slot := -1
		for j, id := range s.Prompt {
			if id < 0 {
				if slot >= 0 {
					return nil, nil, fmt.Errorf("popi: sequence %d has two latent slots", i)
				}
				slot = j
			}
		}
		if slot < 0 {
			return nil, nil, fmt.Errorf("popi: sequence %d has no latent slot", i)
		}
		ids := append([]int(nil), s.Prompt...)
		users[i], pos[i], idx[i] = -1-ids[slot], slot, i
		ids[slot] = p.Placeholder
		seqs[i] = llama.TrainSeq{Prompt: ids, Completion: s.Completion}
		if p.LM.NeedsPromptReps() {
			r, err := p.Reps.get(withoutSlot(ids, slot))
			if err != nil {
				return nil, nil, err
			}
			reps = append(reps, r)
		}
	}
	vecs, err := p.LM.Embeddings(users, reps)
	if err != nil {
		return nil, nil, err
	}
	lp, err := p.Train.CompletionLogProbsInjected(seqs, &llama.TrainInjection{Vecs: vecs, Seq: idx, Pos: pos}, 1)
	if err != nil {
		return nil, nil, fmt.Errorf("popi: latent log-probs: %w", err)
	}
	return lp.Tokens(), lp.Backward, nil
}

// latentExamples builds the preference examples of pairs[i] (user row rows[i]) with the
// latent slot marked and the cached prompt-only reference log-probs of obj.
func latentExamples(obj *Objective, rows []int, pairs []data.PrefPair, placeholder int) ([]rl.PreferenceExample, error) {
	out := make([]rl.PreferenceExample, 0, len(pairs))
	for i, t := range pairs {
		rc, rr, err := obj.Reference(t)
		if err != nil {
			return nil, fmt.Errorf("popi: pair %d: %w", i, err)
		}
		ids, slot, err := latentPromptIDs(obj.Enc, obj.P, t.Prompt, placeholder)
		if err != nil {
			return nil, fmt.Errorf("popi: pair %d: %w", i, err)
		}
		ids[slot] = latentMarker(rows[i])
		out = append(out, rl.PreferenceExample{Prompt: ids, Chosen: obj.Enc.Reply(t.Chosen), Rejected: obj.Enc.Reply(t.Rejected),
			RefChosen: rc, RefRejected: rr, HasRef: true})
	}
	if len(out) == 0 {
		return nil, errors.New("popi: no latent-method examples")
	}
	return out, nil
}

// meanPreferenceLoss is the mean objective of pol on exs (no gradient).
func meanPreferenceLoss(ctx context.Context, pol *latentPolicy, exs []rl.PreferenceExample, pref rl.PreferenceConfig) (float64, error) {
	seqs := make([]rl.Sequence, 0, 2*len(exs))
	for _, e := range exs {
		seqs = append(seqs, rl.Sequence{Prompt: e.Prompt, Completion: e.Chosen}, rl.Sequence{Prompt: e.Prompt, Completion: e.Rejected})
	}
	var lp [][]float64
	var err error
	nn.NoGrad(func() { lp, _, err = pol.LogProbs(ctx, seqs) })
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for i, e := range exs {
		var c, r float64
		for _, v := range lp[2*i] {
			c += v
		}
		for _, v := range lp[2*i+1] {
			r += v
		}
		res, err := rl.PreferenceLossTokens(pref, rl.PairLogProbs{Chosen: c, Rejected: r, RefChosen: e.RefChosen, RefRejected: e.RefRejected},
			rl.PairTokens{Chosen: len(e.Chosen), Rejected: len(e.Rejected)})
		if err != nil {
			return 0, err
		}
		sum += res.Loss
	}
	return sum / float64(len(exs)), nil
}

// LatentFit is the held-out fitting's outcome: each held-out episode's user weights, fitted
// from that episode's signal pairs, and the mean objective on those pairs before and after.
type LatentFit struct {
	Model                 *LatentModel // one user row per held-out episode, in order
	LossBefore, LossAfter float64
	Steps                 int
	Pairs                 int
	Generator             *llama.Model
	Placeholder           int
	reps                  *promptReps
	enc                   *prompt.ChatEncoder
	p                     prompt.Prompting
}

// FitLatentUsers fits new users (one per held-out episode, from its signal pairs) as LoRe
// and PAL adapt to unseen users: only the users' weight logits are learned (full-batch
// AdamW, cfg.FitSteps steps at cfg.FitLR, under the preference objective pref), with the
// generator gen and lm's shared components frozen. base is the frozen base generator
// (PAL-B's prompt representations); obj supplies the reference log-probs.
func FitLatentUsers(ctx context.Context, lm *LatentModel, gen, base *llama.Model, obj *Objective, eps []data.Episode, cfg LatentConfig, pref rl.PreferenceConfig, seed uint64) (*LatentFit, error) {
	cfg = cfg.resolved()
	if len(eps) == 0 {
		return nil, errors.New("popi: no held-out episodes to fit")
	}
	keys := make([]string, len(eps))
	var rows []int
	var pairs []data.PrefPair
	for i, ep := range eps {
		if len(ep.Signals) == 0 {
			return nil, fmt.Errorf("popi: %v fits a user's embedding from preference-pair signals; held-out episode %d (%s) has none", lm.Method, i, ep.UserID)
		}
		keys[i] = fmt.Sprintf("heldout-%d/%s", i, ep.UserID)
		for _, s := range ep.Signals {
			rows = append(rows, i)
			pairs = append(pairs, s)
		}
	}
	fm, err := lm.ForNewUsers(keys, seed)
	if err != nil {
		return nil, err
	}
	ph := obj.Enc.End
	exs, err := latentExamples(obj, rows, pairs, ph)
	if err != nil {
		return nil, err
	}
	tr := gen.Trainable()
	nn.Freeze(tr.Params()...)
	tr.Checkpoint = false
	pol := &latentPolicy{LM: fm, Train: tr, Placeholder: ph}
	if fm.NeedsPromptReps() {
		pol.Reps = newPromptReps(base)
	}
	fit := &LatentFit{Model: fm, Steps: cfg.FitSteps, Pairs: len(exs), Generator: gen, Placeholder: ph, reps: pol.Reps, enc: obj.Enc, p: obj.P}
	if fit.LossBefore, err = meanPreferenceLoss(ctx, pol, exs, pref); err != nil {
		return nil, err
	}
	opt := nn.NewAdamW(nn.AdamWConfig{}, nn.ParamGroup{Params: []*nn.Value{fm.W}})
	d := &rl.DPO{Policy: pol, Opt: opt, Config: pref, MicroBatch: 16}
	for s := 0; s < cfg.FitSteps; s++ {
		if _, err := d.Step(ctx, exs, cfg.FitLR); err != nil {
			return nil, fmt.Errorf("popi: %v held-out fit, step %d: %w", lm.Method, s+1, err)
		}
	}
	if fit.LossAfter, err = meanPreferenceLoss(ctx, pol, exs, pref); err != nil {
		return nil, err
	}
	if math.IsNaN(fit.LossAfter) {
		return nil, fmt.Errorf("popi: %v held-out fit diverged", lm.Method)
	}
	return fit, nil
}

// injection returns held-out episode ep's latent slot embedding for a rendered prompt
// (ids with the placeholder at slot).
func (f *LatentFit) injection(ep int, ids []int, slot int) (llama.Injection, error) {
	var reps [][]float32
	if f.Model.NeedsPromptReps() {
		r, err := f.reps.get(withoutSlot(ids, slot))
		if err != nil {
			return llama.Injection{}, err
		}
		reps = [][]float32{r}
	}
	var v *nn.Value
	var err error
	nn.NoGrad(func() { v, err = f.Model.Embeddings([]int{ep}, reps) })
	if err != nil {
		return llama.Injection{}, err
	}
	return llama.Injection{Pos: slot, Vec: append([]float32(nil), v.Data...)}, nil
}

// embedScale is the root-mean-square entry of m's input embedding table, the scale the
// latent components start at.
func embedScale(m *llama.Model) float64 {
	w := m.Embed.ToF32()
	s := 0.0
	for _, v := range w {
		s += float64(v) * float64(v)
	}
	if len(w) == 0 || s == 0 {
		return 0.02
	}
	return math.Sqrt(s / float64(len(w)))
}
