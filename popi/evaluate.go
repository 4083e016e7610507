package popi

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// EvalConfig controls the held-out evaluation.
type EvalConfig struct {
	MaxTokens   int     // response length limit for the win rate
	Temperature float64 // response sampling temperature (0: greedy)
	Seed        uint64
	// WinTargets is the number of target pairs per episode whose prompts are answered and
	// judged (0: all); reward accuracy and Avg. Len. always use every target.
	WinTargets   int
	JudgeWorkers int
}

// MethodModel is a method under evaluation with its generator: Gen (a local model, for
// log-prob margins and, when Responder is nil, for responses) and/or Responder (any
// Generator, e.g. an API model for generator transfer; then no margins are measured).
type MethodModel struct {
	Method    Method
	Gen       *llama.Model
	Responder Generator
	// Latent holds a latent method's fitted held-out user embeddings (LoRe, PAL-A,
	// PAL-B; Gen is its fine-tuned generator).
	Latent *LatentFit
}

// Evaluation evaluates methods on held-out episodes (section 5.1): reward accuracy (the
// method's log-prob margin beats the Base-Model's on the same pair), Avg. Len. (context
// overhead in tokens over the Base-Model prompt) and win rate against the Base-Model's
// responses by Judge (both orders, ties half).
type Evaluation struct {
	Enc      *prompt.ChatEncoder
	P        prompt.Prompting
	Base     *llama.Model // the Base-Model generator for margins (nil: accuracy not measured)
	BaseResp Generator    // the Base-Model responder (nil: a LocalGenerator over Base)
	Judge    Judge        // nil: win rate not measured
	Config   EvalConfig
	Episodes []data.Episode
	Before   *Summaries // πφ_ref summaries of Episodes
	After    *Summaries // πφ summaries of Episodes
	Dataset  string
	Seed     uint64
	Log      io.Writer
	// Labels, if set, rename methods in the results (for example POPI-Inference-Only's
	// row when the summaries come from another inference model).
	Labels map[Method]string
}

// label is the row name of method m.
func (e *Evaluation) label(m Method) string {
	if l, ok := e.Labels[m]; ok && l != "" {
		return l
	}
	return m.String()
}

// ResponseExample is one judged response, kept for the report.
type ResponseExample struct {
	User     string `json:"user"`
	Persona  string `json:"persona"`
	Prompt   string `json:"prompt"`
	Summary  string `json:"summary,omitempty"`
	Response string `json:"response"`
	Base     string `json:"base_response"`
	Outcome  string `json:"outcome"`
}

// MethodDetail is the per-method detail written next to the table.
type MethodDetail struct {
	Method     string            `json:"method"`
	MeanMargin *float64          `json:"mean_margin,omitempty"`
	Examples   []ResponseExample `json:"examples,omitempty"`
}

func (e *Evaluation) logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format, args...)
	}
}

func (e *Evaluation) respond(ctx context.Context, g Generator, m *llama.Model, msgs []prompt.Messages) ([]string, error) {
	if g == nil {
		if m == nil {
			return nil, errors.New("popi: no generator to answer with")
		}
		g = &LocalGenerator{Model: m, Enc: e.Enc, MaxTokens: e.Config.MaxTokens, Temperature: e.Config.Temperature, Seed: e.Config.Seed}
	}
	return generateAll(ctx, g, msgs)
}

// Run evaluates the methods in order and returns one RunMetrics per method.
func (e *Evaluation) Run(ctx context.Context, methods []MethodModel) ([]RunMetrics, []MethodDetail, error) {
	if len(e.Episodes) == 0 || e.Enc == nil {
		return nil, nil, errors.New("popi: evaluation needs episodes and an encoder")
	}
	type item = evalItem
	var all, judged []item
	for i, ep := range e.Episodes {
		for j := range ep.Targets {
			all = append(all, item{i, j})
			if e.Config.WinTargets <= 0 || j < e.Config.WinTargets {
				judged = append(judged, item{i, j})
			}
		}
	}
	baseMsg := func(it item) (prompt.Messages, error) {
		return e.P.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondPrompt}, e.Episodes[it.ep].Targets[it.t].Prompt)
	}
	// Base-Model margins and responses, shared by every method.
	var baseMargins []float64
	if e.Base != nil {
		r := e.Base.NewRunner()
		for _, it := range all {
			m, err := baseMsg(it)
			if err != nil {
				return nil, nil, err
			}
			c, rj, err := ScorePair(r, e.Enc, m, e.Episodes[it.ep].Targets[it.t])
			if err != nil {
				return nil, nil, fmt.Errorf("popi: base margin: %w", err)
			}
			baseMargins = append(baseMargins, c-rj)
		}
	}
	var baseResp []string
	if e.Judge != nil {
		msgs := make([]prompt.Messages, len(judged))
		for k, it := range judged {
			var err error
			if msgs[k], err = baseMsg(it); err != nil {
				return nil, nil, err
			}
		}
		var err error
		if baseResp, err = e.respond(ctx, e.BaseResp, e.Base, msgs); err != nil {
			return nil, nil, fmt.Errorf("popi: Base-Model responses: %w", err)
		}
	}
	prog := NewProgress("eval", 0, len(methods), "methods")
	var out []RunMetrics
	var details []MethodDetail
	for mi, mm := range methods {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if mm.Method.Latent() {
			rm, det, err := e.runLatent(ctx, mm, all, judged, baseMargins, baseResp)
			if err != nil {
				return nil, nil, err
			}
			out, details = append(out, rm), append(details, det)
			e.logf("%s", prog.Line(mi+1, fmt.Sprintf("%s: %s", rm.Method, formatMetrics(rm))))
			continue
		}
		cond := Conditioner(mm.Method, e.Episodes, e.Before, e.After)
		rm := RunMetrics{Method: e.label(mm.Method), Dataset: e.Dataset, Seed: e.Seed, Pairs: len(all)}
		det := MethodDetail{Method: rm.Method}
		byPersona := newPersonaBreakdown(e.Episodes)
		// Avg. Len.
		if mm.Method != MethodBase {
			var over []int
			for _, it := range all {
				c, err := cond(it.ep, it.t)
				if err != nil {
					return nil, nil, err
				}
				bm, err := baseMsg(it)
				if err != nil {
					return nil, nil, err
				}
				cm, err := e.P.GeneratorMessages(c, e.Episodes[it.ep].Targets[it.t].Prompt)
				if err != nil {
					return nil, nil, err
				}
				o, err := ContextOverhead(e.Enc, bm, cm)
				if err != nil {
					return nil, nil, err
				}
				over = append(over, o)
			}
			avg, err := MeanInt(over)
			if err != nil {
				return nil, nil, err
			}
			rm.AvgLen = F(avg)
		}
		// Reward accuracy.
		if mm.Gen != nil && baseMargins != nil {
			r := mm.Gen.NewRunner()
			ms := make([]PairMargin, len(all))
			sum := 0.0
			for k, it := range all {
				c, err := cond(it.ep, it.t)
				if err != nil {
					return nil, nil, err
				}
				m, err := e.P.GeneratorMessages(c, e.Episodes[it.ep].Targets[it.t].Prompt)
				if err != nil {
					return nil, nil, err
				}
				lc, lr, err := ScorePair(r, e.Enc, m, e.Episodes[it.ep].Targets[it.t])
				if err != nil {
					return nil, nil, fmt.Errorf("popi: %v margin: %w", mm.Method, err)
				}
				ms[k] = PairMargin{Method: lc - lr, Base: baseMargins[k]}
				byPersona.addMargin(e.Episodes[it.ep].Persona, ms[k])
				sum += lc - lr
			}
			acc, err := RewardAccuracy(ms)
			if err != nil {
				return nil, nil, err
			}
			rm.Acc = F(acc)
			det.MeanMargin = F(sum / float64(len(ms)))
		}
		// Win rate against the Base-Model's responses.
		if e.Judge != nil {
			msgs := make([]prompt.Messages, len(judged))
			for k, it := range judged {
				c, err := cond(it.ep, it.t)
				if err != nil {
					return nil, nil, err
				}
				if msgs[k], err = e.P.GeneratorMessages(c, e.Episodes[it.ep].Targets[it.t].Prompt); err != nil {
					return nil, nil, err
				}
			}
			resp, err := e.respond(ctx, mm.Responder, mm.Gen, msgs)
			if err != nil {
				return nil, nil, fmt.Errorf("popi: %v responses: %w", mm.Method, err)
			}
			summary := func(it evalItem) string {
				c, _ := cond(it.ep, it.t)
				return c.Summary
			}
			if err := e.judgeResponses(ctx, mm.Method, judged, resp, baseResp, byPersona, &rm, &det, summary); err != nil {
				return nil, nil, err
			}
		}
		rm.ByPersona = byPersona.metrics()
		out = append(out, rm)
		details = append(details, det)
		e.logf("%s", prog.Line(mi+1, fmt.Sprintf("%s: %s", rm.Method, formatMetrics(rm))))
	}
	return out, details, nil
}

func formatMetrics(rm RunMetrics) string {
	f := func(p *float64, scale float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f", *p*scale)
	}
	return fmt.Sprintf("avg len %s, acc %s%%, win rate %s%%", f(rm.AvgLen, 1), f(rm.Acc, 100), f(rm.WinRate, 100))
}
