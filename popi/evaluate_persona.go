package popi

import "github.com/popi-go/popi/popi/data"

// personaBreakdown groups one method's per-pair margins (over all targets) and verdicts
// (over the judged targets) by the ground-truth persona of their episode. Personas appear
// in episode order; episodes without a persona (AlignX) give no breakdown.
type personaBreakdown struct {
	order   []string
	margins map[string][]PairMargin
	verdict map[string][]Verdict
}

func newPersonaBreakdown(eps []data.Episode) *personaBreakdown {
	b := &personaBreakdown{margins: map[string][]PairMargin{}, verdict: map[string][]Verdict{}}
	for _, p := range data.PersonaKeys(eps) {
		if p != "" {
			b.order = append(b.order, p)
		}
	}
	return b
}

func (b *personaBreakdown) addMargin(persona string, m PairMargin) {
	if persona != "" {
		b.margins[persona] = append(b.margins[persona], m)
	}
}

func (b *personaBreakdown) addVerdict(persona string, v Verdict) {
	if persona != "" {
		b.verdict[persona] = append(b.verdict[persona], v)
	}
}

// metrics are the per-persona accuracy and win rate (nil where not measured).
func (b *personaBreakdown) metrics() []PersonaMetrics {
	var out []PersonaMetrics
	for _, p := range b.order {
		pm := PersonaMetrics{Persona: p, Pairs: len(b.margins[p])}
		if ms := b.margins[p]; len(ms) > 0 {
			if acc, err := RewardAccuracy(ms); err == nil {
				pm.Acc = F(acc)
			}
		}
		if vs := b.verdict[p]; len(vs) > 0 {
			t := TallyVerdicts(vs)
			pm.Judge = &t
			if wr, err := t.Rate(); err == nil {
				pm.WinRate = F(wr)
			}
		}
		if pm.Acc != nil || pm.WinRate != nil {
			out = append(out, pm)
		}
	}
	return out
}
