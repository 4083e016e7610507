package data

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The AlignX signal sets. Evaluation: each official test split isolates one source (DEMO
// the demographics, PAIR the pair-wise feedback, UGC the user-generated content; Arbitrary
// uses whatever the record holds), so an episode shows the models only that source.
// Training follows the AlignX authors' protocol (train/format_data.py of
// https://github.com/JinaLeejnl/AlignX): per record, a random 0-4 of its UGC items and 0-4
// of its pairs (up to 4 of each when both draws are 0), demographics left out; drawn
// afresh for every use here (seeded).
//
// Direction setting: the authors' preference-bridged profile (get_profile.py) averages the
// per-item directions of the chosen items, thresholds the mean (>= 0.6: 1, <= 0.4: 0, else
// 0.5) and names the non-neutral dimensions. An episode's direction therefore comes from
// the items of its own signal source; the record's top-level direction (the target pair's)
// is used only when those items carry none (the DEMO split, whose records hold only
// demographics, and exports without per-item directions), which SignalSet reports.

// SignalSet is what one AlignX episode may show: the demographics (or not) and the chosen
// UGC and pair items, by index.
type SignalSet struct {
	Demographic bool
	UGC, Pairs  []int
}

// SplitSignals is the signal set of an evaluation split: every item of the split's source
// (all sources for Arbitrary). A record without that source is an error naming its column.
func (r *AlignXRecord) SplitSignals(split AlignXSplit) (SignalSet, error) {
	var s SignalSet
	if split == SplitArbitrary || split == SplitDEMO {
		s.Demographic = r.Demographic != ""
	}
	if split == SplitArbitrary || split == SplitUGC {
		s.UGC = seq(len(r.UGC))
	}
	if split == SplitArbitrary || split == SplitPAIR {
		s.Pairs = seq(len(r.Pairs))
	}
	if !s.Demographic && len(s.UGC) == 0 && len(s.Pairs) == 0 {
		col := map[AlignXSplit]string{SplitArbitrary: "any signal column", SplitDEMO: ColAlignXDemo, SplitUGC: ColAlignXUGC, SplitPAIR: ColAlignXPairs}[split]
		return s, fieldErr(r.Source, col, fmt.Errorf("no user signals for split %v", split))
	}
	return s, nil
}

// TrainingSignals draws a signal set by the AlignX authors' training protocol; ok is false
// for a record with neither UGC nor pairs (nothing to train on).
func (r *AlignXRecord) TrainingSignals(rng *rand.Rand) (s SignalSet, ok bool) {
	if len(r.UGC) == 0 && len(r.Pairs) == 0 {
		return s, false
	}
	nu, np := min(rng.IntN(5), len(r.UGC)), min(rng.IntN(5), len(r.Pairs))
	if nu == 0 && np == 0 {
		nu, np = min(4, len(r.UGC)), min(4, len(r.Pairs))
	}
	s.UGC = rng.Perm(len(r.UGC))[:nu]
	s.Pairs = rng.Perm(len(r.Pairs))[:np]
	return s, true
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// RenderRaw renders the signal set's heterogeneous signals as Markdown sections.
func (r *AlignXRecord) RenderRaw(s SignalSet) (string, error) {
	var b strings.Builder
	section := func(title string) {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("## " + title + "\n")
	}
	if s.Demographic && r.Demographic != "" {
		section("Demographic Information")
		b.WriteString(r.Demographic)
	}
	if len(s.UGC) > 0 {
		section("User-Generated Content")
		for k, i := range s.UGC {
			u := r.UGC[i]
			fmt.Fprintf(&b, "\n### Post %d\n%s\n### Comment %d\n%s\n", k+1, u.Prompt, k+1, u.Comment)
		}
	}
	if len(s.Pairs) > 0 {
		section("Pair-wise Comparative Feedback")
		for k, i := range s.Pairs {
			p := r.Pairs[i]
			fmt.Fprintf(&b, "\n### Post %d\n%s\n### Preferred Comment %d\n%s\n### Dispreferred Comment %d\n%s\n",
				k+1, p.Prompt, k+1, p.Chosen, k+1, p.Rejected)
		}
	}
	if b.Len() == 0 {
		return "", fieldErr(r.Source, "any signal column", errors.New("empty signal set"))
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// RenderAlignXRaw renders the record's signals for an evaluation split.
func (r *AlignXRecord) RenderAlignXRaw(split AlignXSplit) (string, error) {
	s, err := r.SplitSignals(split)
	if err != nil {
		return "", err
	}
	return r.RenderRaw(s)
}

// SignalDirection is the preference direction of a signal set: the aggregate of its items'
// directions, or the record's top-level direction when none of them has one (fromTarget).
func (r *AlignXRecord) SignalDirection(s SignalSet) (dir []float64, fromTarget bool, err error) {
	var dirs [][]float64
	for _, i := range s.UGC {
		if d := r.UGC[i].Direction; d != nil {
			dirs = append(dirs, d)
		}
	}
	for _, i := range s.Pairs {
		if i < len(r.PairDirections) && r.PairDirections[i] != nil {
			dirs = append(dirs, r.PairDirections[i])
		}
	}
	if len(dirs) > 0 {
		return AggregateDirections(dirs), false, nil
	}
	if r.Direction == nil {
		return nil, false, fieldErr(r.Source, ColAlignXDirection, fmt.Errorf("%w: neither the chosen signal items nor the record carry a preference direction", errMissing))
	}
	return AggregateDirections([][]float64{r.Direction}), true, nil
}

// AggregateDirections averages directions and thresholds the mean as the AlignX authors'
// get_profile does (>= 0.6: 1, <= 0.4: 0, else 0.5). When that leaves every dimension
// neutral, the most extreme mean is kept (the authors' fallback: the maximum becomes 1 if
// it is nearer 1 than the minimum is to 0, else the minimum becomes 0); a mean that is
// 0.5 everywhere stays neutral (the authors' rule would mark all 90 dimensions 0 there).
func AggregateDirections(dirs [][]float64) []float64 {
	mean := make([]float64, AlignXDirectionDims)
	for _, d := range dirs {
		for k, v := range d {
			mean[k] += v / float64(len(dirs))
		}
	}
	out := make([]float64, AlignXDirectionDims)
	neutral := true
	lo, hi := mean[0], mean[0]
	for k, m := range mean {
		switch {
		case m >= 0.6:
			out[k] = 1
			neutral = false
		case m <= 0.4:
			out[k] = 0
			neutral = false
		default:
			out[k] = 0.5
		}
		lo, hi = min(lo, m), max(hi, m)
	}
	if neutral && lo != hi {
		for k, m := range mean {
			if 1-hi < lo && m == hi {
				out[k] = 1
			} else if 1-hi >= lo && m == lo {
				out[k] = 0
			}
		}
	}
	return out
}

// RenderDirection names the non-neutral dimensions of a direction, in order, joined by
// ", " (the authors' trans_persona profile).
func RenderDirection(dir []float64) string {
	var names []string
	for k, v := range dir {
		switch v {
		case 1:
			names = append(names, AlignXDimensions[k][0])
		case 0:
			names = append(names, AlignXDimensions[k][1])
		}
	}
	if len(names) == 0 {
		return "No clear preference on any of the 90 dimensions."
	}
	return strings.Join(names, ", ")
}

// SignalText renders a signal set for the signal mode; fromTarget reports a direction taken
// from the record's top-level direction.
func (r *AlignXRecord) SignalText(s SignalSet, mode SignalMode) (text string, fromTarget bool, err error) {
	if mode == SignalsDirection {
		d, ft, err := r.SignalDirection(s)
		if err != nil {
			return "", false, err
		}
		return RenderDirection(d), ft, nil
	}
	t, err := r.RenderRaw(s)
	return t, false, err
}

// AlignXStats counts what building AlignX episodes skipped or substituted.
type AlignXStats struct {
	// Skipped records: no signal of the split (evaluation) or neither UGC nor pairs (training).
	Skipped int
	// TargetDirection: episodes whose direction is the record's top-level one.
	TargetDirection int
}

// Notes renders the counts as run-log warnings.
func (s AlignXStats) Notes(what string) []string {
	var out []string
	if s.Skipped > 0 {
		out = append(out, fmt.Sprintf("%s: %d AlignX records skipped (no signals of the split)", what, s.Skipped))
	}
	if s.TargetDirection > 0 {
		out = append(out, fmt.Sprintf("%s: %d episodes use the record's top-level preference direction (their signal items carry none)", what, s.TargetDirection))
	}
	return out
}

// AlignXEpisodes turns records into one-target evaluation episodes whose SignalText shows
// only the split's source in the signal mode. With skipMissing a record without that
// source is skipped and counted; otherwise it is an error naming the column.
func AlignXEpisodes(recs []AlignXRecord, mode SignalMode, split AlignXSplit, skipMissing bool) ([]Episode, AlignXStats, error) {
	var st AlignXStats
	out := make([]Episode, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		s, err := r.SplitSignals(split)
		if err != nil {
			if skipMissing {
				st.Skipped++
				continue
			}
			return nil, st, err
		}
		text, ft, err := r.SignalText(s, mode)
		if err != nil {
			return nil, st, err
		}
		if ft {
			st.TargetDirection++
		}
		out = append(out, Episode{UserID: r.UserKey(), SignalText: text, Targets: []PrefPair{r.Target}})
	}
	if len(out) == 0 {
		return nil, st, fmt.Errorf("popi: no AlignX record has signals of split %v", split)
	}
	return out, st, nil
}
