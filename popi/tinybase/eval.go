package tinybase

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
	"github.com/popi-go/popi/rl"
)

// EvalConfig sizes Evaluate.
type EvalConfig struct {
	N         int     // held-out pairs scored and answers generated (200 if 0)
	Summaries int     // summaries written from held-out users' pairs (96 if 0)
	Shots     int     // pairs shown when writing a summary (4 if 0)
	MaxTokens int     // generation cap (256 if 0)
	Seed      uint64  // sampling of pairs and of the sampled summaries
	Temp      float64 // temperature of the sampled summaries (1 if 0)
	Date      string  // chat template date (DefaultChatDate if empty)
}

// EvalReport holds the quality checks of a base model on held-out users and topics.
type EvalReport struct {
	Pairs int // held-out pairs scored

	// Answers generated greedily for held-out prompts.
	FitSummary   float64 // mean world.Fit with the user's correct summary in context
	ExactSummary float64 // fraction fitting all three attributes, correct summary
	FitNone      float64 // mean Fit with no user information
	ExactNone    float64 // fraction fitting all attributes, no user information
	PreferWin    float64 // fraction where world.Prefer ranks the summary-conditioned answer above the plain one
	PreferLoss   float64 // fraction where it ranks it below
	Malformed    int     // answers that hit the token cap without <|eot_id|>

	// Reward signal: margin = log p(y_c|x,z) - log p(y_r|x,z).
	MarginBeatsNone float64 // fraction of pairs whose margin with the correct summary exceeds the margin with none
	AccSummary      float64 // fraction with a positive margin, correct summary
	AccNone         float64 // fraction with a positive margin, no summary
	AccPairs        float64 // fraction with a positive margin, 4 raw pairs of the user in context
	MeanMarginSum   float64 // mean margin with the correct summary
	MeanMarginNone  float64 // mean margin with none
	ChosenTokenLP   float64 // mean per-token log-prob of y_c given the correct summary

	// Summaries written from held-out users' pairs.
	Summaries      int
	GreedySummary  SummaryStats
	SampledSummary SummaryStats
	Examples       []string // a few greedy summaries with the true persona
}

// SummaryStats aggregates world.ScoreSummary over summaries.
type SummaryStats struct {
	Accuracy  float64 // mean fraction of attributes stated correctly
	Wrong     float64 // mean attributes stated wrongly (or contradictory)
	Missing   float64 // mean attributes not stated
	Words     float64 // mean length in words
	Tokens    float64 // mean length in tokens
	Parseable float64 // fraction stating at least one attribute, ended by <|eot_id|>
	// Concise is the fraction written in the concise register (at most ConciseWords
	// words), ConciseAccuracy their mean attribute accuracy (0 when there is none).
	Concise, ConciseAccuracy float64
	// ByAttr is the fraction of summaries stating each attribute (level, tone, length)
	// correctly.
	ByAttr [world.NumAttrs]float64
}

// ConciseWords is the longest summary, in words, counted as the concise register: the
// concise forms of the corpus have at most 12 words, its instruct-style summaries several
// dozen.
const ConciseWords = 20

// Chance levels of a style drawn uniformly: Fit 1/3*(1/3+1/2+1/2), exact 1/12.
const (
	ChanceFit   = (1.0/3 + 0.5 + 0.5) / 3
	ChanceExact = 1.0 / 12
)

func (r *EvalReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "quality on held-out users and topics (%d pairs):\n", r.Pairs)
	fmt.Fprintf(&b, "  answers (greedy): fit %.3f / all-3 %.3f with the correct summary; fit %.3f / all-3 %.3f with nothing (chance %.3f / %.3f)\n",
		r.FitSummary, r.ExactSummary, r.FitNone, r.ExactNone, ChanceFit, ChanceExact)
	fmt.Fprintf(&b, "  judge prefers summary-conditioned answer: %.3f, plain answer: %.3f; malformed answers %d\n", r.PreferWin, r.PreferLoss, r.Malformed)
	fmt.Fprintf(&b, "  margin log p(y_c)-log p(y_r): with correct summary > with none on %.3f of pairs (mean %.2f vs %.2f)\n",
		r.MarginBeatsNone, r.MeanMarginSum, r.MeanMarginNone)
	fmt.Fprintf(&b, "  reward accuracy (margin > 0): correct summary %.3f, raw pairs %.3f, nothing %.3f; log p per token of y_c %.2f\n", r.AccSummary, r.AccPairs, r.AccNone, r.ChosenTokenLP)
	for _, s := range []struct {
		name string
		st   SummaryStats
	}{{"greedy", r.GreedySummary}, {"sampled", r.SampledSummary}} {
		fmt.Fprintf(&b, "  summaries (%s, %d): accuracy %.3f (level %.2f, tone %.2f, length %.2f), wrong %.2f, missing %.2f attrs, %.1f words / %.1f tokens, parseable %.3f; concise register %.3f (accuracy %.3f)\n",
			s.name, r.Summaries, s.st.Accuracy, s.st.ByAttr[0], s.st.ByAttr[1], s.st.ByAttr[2], s.st.Wrong, s.st.Missing, s.st.Words, s.st.Tokens, s.st.Parseable, s.st.Concise, s.st.ConciseAccuracy)
	}
	for _, e := range r.Examples {
		fmt.Fprintf(&b, "  example: %s\n", e)
	}
	return b.String()
}

// Evaluate runs the quality checks of a pretrained base model on the world's
// held-out users (unseen users and topics): persona fit of answers conditioned on the
// correct summary, the log-prob margin signal the POPI objective rewards, and the
// quality of the summaries it writes from preference pairs. Prompts go through
// popi/prompt's ChatEncoder (dated c.Date), answers and summaries come from
// popi.LocalGenerator one prompt at a time, and margins from popi.Objective with m as
// both generator and reference (the margin with no user information is the reference's).
func Evaluate(m *llama.Model, tok *llama.Tokenizer, w *world.World, c EvalConfig) (*EvalReport, error) {
	if c.N == 0 {
		c.N = 200
	}
	if c.Summaries == 0 {
		c.Summaries = 96
	}
	if c.Shots == 0 {
		c.Shots = 4
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = 256
	}
	if c.Temp == 0 {
		c.Temp = 1
	}
	if c.Date == "" {
		c.Date = prompt.DefaultChatDate
	}
	if c.N < 0 || c.Summaries < 0 || c.Shots < 0 || c.MaxTokens < 0 || c.Temp < 0 {
		return nil, errors.New("popi: evaluate base model: negative size")
	}
	users := w.Users(true)
	if len(users) == 0 {
		return nil, errors.New("popi: evaluate base model: world has no held-out users")
	}
	if _, ok := tok.SpecialID("<|eot_id|>"); !ok {
		return nil, errors.New("popi: evaluate base model: tokenizer has no <|eot_id|>")
	}
	enc, err := prompt.NewChatEncoder(tok, m.Config, false)
	if err != nil {
		return nil, fmt.Errorf("popi: evaluate base model: %w", err)
	}
	enc.Opts.Date = c.Date
	e := &baseEval{c: c, users: users, rng: pretrainRNG(c.Seed),
		pm:     prompt.Prompting{Family: data.FamilyELIX, Mode: data.SignalsRaw, Templates: prompt.TemplatesPaper},
		greedy: &popi.LocalGenerator{Model: m, Enc: enc, MaxTokens: c.MaxTokens},
		sample: &popi.LocalGenerator{Model: m, Enc: enc, MaxTokens: c.MaxTokens, Temperature: c.Temp}}
	// Only the objective's log-probs are used, not its loss: any valid preference config.
	if e.obj, err = popi.NewObjective(m, m, enc, e.pm, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 1}); err != nil {
		return nil, err
	}
	r := &EvalReport{}
	if err := e.answers(r); err != nil {
		return nil, err
	}
	if err := e.summaries(r); err != nil {
		return nil, err
	}
	return r, nil
}

// baseEval is one Evaluate call.
type baseEval struct {
	c              EvalConfig
	users          []*world.User
	rng            *rand.Rand
	pm             prompt.Prompting
	greedy, sample *popi.LocalGenerator
	obj            *popi.Objective
}

// reply generates one response to msg (sampled with seed when sample is set).
func (e *baseEval) reply(msg prompt.Messages, sample bool, seed uint64) (popi.Reply, error) {
	g := e.greedy
	if sample {
		g = e.sample
		g.Seed = seed
	}
	rs, err := g.Replies(context.Background(), []prompt.Messages{msg})
	if err != nil {
		return popi.Reply{}, err
	}
	return rs[0], nil
}

// answers scores c.N held-out pairs and answers their prompts with and without the
// user's correct summary.
func (e *baseEval) answers(r *EvalReport) error {
	c := e.c
	var tokLP float64
	var tokN int
	var nWin, nLoss, nBeat, nAccS, nAccN, nAccP float64
	for i := 0; i < c.N; i++ {
		u := e.users[i%len(e.users)]
		wp := u.Pairs[(i/len(e.users))%len(u.Pairs)]
		p := data.WorldPairs([]world.Pair{wp})[0]
		withZ := prompt.Conditioning{Cond: prompt.CondSummary, Summary: u.Persona.Summary()}
		var shots []world.Pair
		for _, j := range e.rng.Perm(len(u.Pairs)) {
			if u.Pairs[j].Prompt != p.Prompt && len(shots) < c.Shots {
				shots = append(shots, u.Pairs[j])
			}
		}
		withP := prompt.Conditioning{Cond: prompt.CondSignals, Signals: prompt.RenderPreferencePairs(data.WorldPairs(shots))}
		lz, err := e.obj.PairLogProbs(withZ, p)
		if err != nil {
			return err
		}
		lp, err := e.obj.PairLogProbs(withP, p)
		if err != nil {
			return err
		}
		tokLP += lz.Chosen
		tokN += len(e.greedy.Enc.Reply(p.Chosen))
		mz, mn, mp := lz.Chosen-lz.Rejected, lz.RefChosen-lz.RefRejected, lp.Chosen-lp.Rejected
		r.MeanMarginSum += mz
		r.MeanMarginNone += mn
		if mz > mn {
			nBeat++
		}
		if mz > 0 {
			nAccS++
		}
		if mn > 0 {
			nAccN++
		}
		if mp > 0 {
			nAccP++
		}
		zm, err := e.pm.GeneratorMessages(withZ, p.Prompt)
		if err != nil {
			return err
		}
		nm, err := e.pm.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondPrompt}, p.Prompt)
		if err != nil {
			return err
		}
		az, err := e.reply(zm, false, 0)
		if err != nil {
			return err
		}
		an, err := e.reply(nm, false, 0)
		if err != nil {
			return err
		}
		if !az.Ended {
			r.Malformed++
		}
		if !an.Ended {
			r.Malformed++
		}
		fz, fn := world.Fit(u.Persona, az.Text), world.Fit(u.Persona, an.Text)
		r.FitSummary += fz
		r.FitNone += fn
		if fz == 1 {
			r.ExactSummary++
		}
		if fn == 1 {
			r.ExactNone++
		}
		switch world.Prefer(u.Persona, az.Text, an.Text) {
		case 1:
			nWin++
		case -1:
			nLoss++
		}
	}
	if c.N > 0 {
		n := float64(c.N)
		r.Pairs = c.N
		r.FitSummary /= n
		r.FitNone /= n
		r.ExactSummary /= n
		r.ExactNone /= n
		r.PreferWin, r.PreferLoss = nWin/n, nLoss/n
		r.MarginBeatsNone = nBeat / n
		r.AccSummary, r.AccNone, r.AccPairs = nAccS/n, nAccN/n, nAccP/n
		r.MeanMarginSum /= n
		r.MeanMarginNone /= n
		r.ChosenTokenLP = tokLP / float64(max(1, tokN))
	}
	return nil
}

// summaries has c.Summaries summaries written, greedy and sampled, from held-out users'
// pairs and scores them against the true personas.
func (e *baseEval) summaries(r *EvalReport) error {
	c := e.c
	addStats := func(st *SummaryStats, p world.Persona, rep popi.Reply) {
		sc := world.ScoreSummary(p, rep.Text)
		st.Accuracy += sc.Accuracy()
		stated := world.ParseSummary(rep.Text)
		for a := range st.ByAttr {
			if stated[a] == p[a] {
				st.ByAttr[a]++
			}
		}
		st.Wrong += float64(sc.Wrong)
		st.Missing += float64(sc.Missing)
		st.Words += float64(sc.Words)
		st.Tokens += float64(e.greedy.Enc.CountTokens(rep.Text))
		if rep.Ended && sc.Missing < world.NumAttrs {
			st.Parseable++
		}
		if sc.Words <= ConciseWords {
			st.Concise++
			st.ConciseAccuracy += sc.Accuracy()
		}
	}
	for i := 0; i < c.Summaries; i++ {
		u := e.users[i%len(e.users)]
		perm := e.rng.Perm(len(u.Pairs))
		shots := make([]world.Pair, 0, c.Shots)
		for _, j := range perm[:min(c.Shots, len(perm))] {
			shots = append(shots, u.Pairs[j])
		}
		msg, err := prompt.InferenceMessages(data.FamilyELIX, data.SignalsRaw, prompt.RenderPreferencePairs(data.WorldPairs(shots)))
		if err != nil {
			return err
		}
		g, err := e.reply(msg, false, 0)
		if err != nil {
			return err
		}
		s, err := e.reply(msg, true, c.Seed+uint64(i))
		if err != nil {
			return err
		}
		addStats(&r.GreedySummary, u.Persona, g)
		addStats(&r.SampledSummary, u.Persona, s)
		if len(r.Examples) < 3 {
			r.Examples = append(r.Examples, fmt.Sprintf("[%s] %q (%v)", u.Persona.Code(), g.Text, world.ScoreSummary(u.Persona, g.Text)))
		}
	}
	if c.Summaries > 0 {
		r.Summaries = c.Summaries
		for _, st := range []*SummaryStats{&r.GreedySummary, &r.SampledSummary} {
			n := float64(c.Summaries)
			if st.Concise > 0 {
				st.ConciseAccuracy /= st.Concise
			}
			st.Accuracy /= n
			st.Wrong /= n
			st.Missing /= n
			st.Words /= n
			st.Tokens /= n
			st.Parseable /= n
			st.Concise /= n
			for a := range st.ByAttr {
				st.ByAttr[a] /= n
			}
		}
	}
	return nil
}
