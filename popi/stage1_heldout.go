package popi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/world"
)

// HeldOutRecord is one evaluation of the inference model πφ on a fixed set of held-out
// users during Stage 1: the Stage-1 reward (−ℓ with the frozen generator) of the summary
// each user gets, as in the final evaluation (greedy unless a summary temperature is set).
type HeldOutRecord struct {
	Step    int       `json:"step"`    // completed training steps (0: before training)
	Reward  float64   `json:"reward"`  // mean over users of the user's mean −ℓ over its pairs
	Rewards []float64 `json:"rewards"` // per user, in the set's order
	// Acc is the mean fraction of persona attributes the summaries state correctly (persona
	// world only; HasAcc false elsewhere).
	Acc    float64 `json:"attr_acc"`
	HasAcc bool    `json:"has_attr_acc"`
	Tokens float64 `json:"tokens"` // mean summary length in tokens
}

func (r HeldOutRecord) String() string {
	s := fmt.Sprintf("reward %.4f (%d users)", r.Reward, len(r.Rewards))
	if r.HasAcc {
		s += fmt.Sprintf(", attribute accuracy %.1f%%", 100*r.Acc)
	}
	return s + fmt.Sprintf(", summaries %.1f tokens", r.Tokens)
}

// metric is the record's line in metrics.jsonl.
func (r HeldOutRecord) metric(phase string) map[string]any {
	m := map[string]any{"phase": phase + "_heldout", "step": r.Step, "reward": r.Reward, "users": len(r.Rewards),
		"reward_se": seMean(r.Rewards), "tokens": r.Tokens}
	if r.HasAcc {
		m["attr_acc"] = r.Acc
	}
	return m
}

// Stage1Eval evaluates πφ on fixed held-out episodes: each episode's summary (the
// Summarizer's sampling settings, a fixed seed) is rewarded with −ℓ of Obj's frozen
// generator over the episode's targets. Summarizer.Model is replaced by the model being
// evaluated.
type Stage1Eval struct {
	Episodes        []data.Episode
	Obj             *Objective
	Summarizer      Summarizer
	PromptDependent bool
}

// NewStage1Eval takes the first users (0: all) of held-out episodes with their first
// pairs targets each (0: all).
func NewStage1Eval(held []data.Episode, users, pairs int, obj *Objective, sum Summarizer, promptDependent bool) (*Stage1Eval, error) {
	if users <= 0 || users > len(held) {
		users = len(held)
	}
	if users == 0 {
		return nil, errors.New("popi: Stage-1 held-out evaluation without held-out episodes")
	}
	eps := make([]data.Episode, users)
	for i := range eps {
		eps[i] = held[i]
		if pairs > 0 && pairs < len(eps[i].Targets) {
			eps[i].Targets = eps[i].Targets[:pairs]
		}
		if len(eps[i].Targets) == 0 {
			return nil, fmt.Errorf("popi: held-out episode %d has no target pairs", i)
		}
	}
	return &Stage1Eval{Episodes: eps, Obj: obj, Summarizer: sum, PromptDependent: promptDependent}, nil
}

// Evaluate writes every episode's summary with m and scores it.
func (e *Stage1Eval) Evaluate(ctx context.Context, m *llama.Model, step int) (HeldOutRecord, error) {
	rec := HeldOutRecord{Step: step, HasAcc: true}
	s := e.Summarizer
	s.Model = m
	sums, err := s.Episodes(ctx, e.Episodes, e.PromptDependent, nil)
	if err != nil {
		return rec, err
	}
	for i := range e.Episodes {
		ep := &e.Episodes[i]
		p, perr := world.ParseSentence(ep.Persona)
		rec.HasAcc = rec.HasAcc && perr == nil
		r, acc := 0.0, 0.0
		for j, t := range ep.Targets {
			if err := ctx.Err(); err != nil {
				return rec, err
			}
			z, err := sums.Get(i, j)
			if err != nil {
				return rec, err
			}
			l, err := e.Obj.SummaryLoss(z, []data.PrefPair{t})
			if err != nil {
				return rec, fmt.Errorf("popi: held-out user %s: %w", ep.UserID, err)
			}
			r -= l
			if perr == nil {
				acc += world.ScoreSummary(p, z).Accuracy()
			}
		}
		n := float64(len(ep.Targets))
		rec.Rewards = append(rec.Rewards, r/n)
		rec.Reward += r / n
		rec.Acc += acc / n
		rec.Tokens += float64(sums.Tokens[i])
	}
	n := float64(len(e.Episodes))
	rec.Reward /= n
	rec.Tokens /= n
	if rec.HasAcc {
		rec.Acc /= n
	} else {
		rec.Acc = 0
	}
	return rec, nil
}

// seMean is the standard error of the mean of xs (0 for fewer than two values).
func seMean(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	_, sd := meanSD(xs)
	return sd / math.Sqrt(float64(len(xs)))
}

// meanSD is the mean and sample standard deviation of xs.
func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

// HeldOutVerdict is the one-line verdict on Stage 1 from its first and last held-out
// evaluations: the change of the held-out reward with the standard error of the per-user
// change, and the change of attribute accuracy and summary length. The reward "rose" or
// "fell" only when the change exceeds two standard errors.
func HeldOutVerdict(recs []HeldOutRecord) string {
	if len(recs) < 2 {
		return "Stage 1: no held-out evaluation before and after training"
	}
	a, b := recs[0], recs[len(recs)-1]
	var verb string
	d, se := b.Reward-a.Reward, 0.0
	if len(a.Rewards) == len(b.Rewards) {
		diff := make([]float64, len(a.Rewards))
		for i := range diff {
			diff[i] = b.Rewards[i] - a.Rewards[i]
		}
		se = seMean(diff)
	}
	switch {
	case d > 2*se:
		verb = "raised"
	case d < -2*se:
		verb = "lowered"
	default:
		verb = "did not clearly change"
	}
	s := fmt.Sprintf("Stage 1 %s held-out reward from %.3f to %.3f (%+.3f ± %.3f s.e. over %d users, %d steps)",
		verb, a.Reward, b.Reward, d, se, len(b.Rewards), b.Step-a.Step)
	if a.HasAcc && b.HasAcc {
		s += fmt.Sprintf("; attribute accuracy %.1f%% -> %.1f%%", 100*a.Acc, 100*b.Acc)
	}
	return s + fmt.Sprintf("; summary length %.1f -> %.1f tokens", a.Tokens, b.Tokens)
}
