package popi

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
)

// styleGen is a stand-in generator with a known behaviour: given a preference summary it
// answers in the style the summary states (world.ParseSummary), otherwise in a style drawn
// from the prompt's hash.
type styleGen struct{}

func (styleGen) Generate(_ context.Context, _, user string) (string, error) {
	h := fnv.New64a()
	h.Write([]byte(user))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	style := world.RandomPersona(rng)
	const head = "# User Preference Summary\n"
	if i := strings.Index(user, head); i >= 0 {
		z := user[i+len(head):]
		if j := strings.Index(z, "\n\n# Instruction"); j >= 0 {
			z = z[:j]
		}
		for a, v := range world.ParseSummary(z) {
			if v >= 0 {
				style[a] = v
			}
		}
	}
	return world.Respond(rng, world.Topic(0), style), nil
}

func TestTransferWinRateWithKnownGenerator(t *testing.T) {
	f := getFixture(t)
	eps := fixtureEpisodes(t, f, true, 3)
	before := &Summaries{}
	after := &Summaries{}
	for _, ep := range eps {
		p, err := world.ParseSentence(ep.Persona)
		if err != nil {
			t.Fatal(err)
		}
		before.PerEpisode = append(before.PerEpisode, "")
		after.PerEpisode = append(after.PerEpisode, p.Summary())
	}
	ev := &Evaluation{Enc: f.Enc, P: prompt.Prompting{Family: data.FamilyELIX}, Judge: ExactJudge{}, Config: EvalConfig{MaxTokens: 8},
		Episodes: eps, Before: before, After: after, Dataset: "world"}
	rep, _, err := Transfer(context.Background(), ev, []TransferTarget{{Name: "style", Gen: styleGen{}}}, AllMethods())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 4 {
		t.Fatalf("%d rows, want the 4 frozen-generator methods", len(rep.Runs))
	}
	got := map[string]RunMetrics{}
	for _, r := range rep.Runs {
		got[r.Method] = r
		if r.Acc != nil {
			t.Fatalf("%s: accuracy measured without log-probs", r.Method)
		}
	}
	if w := *got["Base-Model"].WinRate; w != 0.5 {
		t.Fatalf("Base-Model vs itself: %v", w)
	}
	if w := *got["Inference-Prompting"].WinRate; w != 0.5 {
		t.Fatalf("empty summaries must equal the Base-Model: %v", w)
	}
	if *got["Inference-Prompting"].AvgLen != 0 {
		t.Fatalf("empty summaries add no context: %v", *got["Inference-Prompting"].AvgLen)
	}
	w := *got["POPI-Inference-Only"].WinRate
	if w < 0.75 {
		t.Fatalf("correct summaries should win clearly against random styles: %v (%+v)", w, got["POPI-Inference-Only"].Judge)
	}
	if *got["POPI-Inference-Only"].AvgLen <= 0 || *got["Raw-Prompting"].AvgLen <= *got["POPI-Inference-Only"].AvgLen {
		t.Fatalf("context overheads: raw %v, summary %v", *got["Raw-Prompting"].AvgLen, *got["POPI-Inference-Only"].AvgLen)
	}
	if _, _, err := Transfer(context.Background(), ev, nil, AllMethods()); err == nil {
		t.Fatal("no targets accepted")
	}
	if _, _, err := Transfer(context.Background(), ev, []TransferTarget{{Name: "x", Gen: styleGen{}}}, []Method{MethodPOPIFull}); err == nil {
		t.Fatal("only aligned methods accepted for transfer")
	}
}

// Reward accuracy and Avg. Len. on local models: the Base-Model scores exactly 0.5 against
// itself; Algorithm 2 reuses one summary for all prompts.
func TestEvaluationLocalAndPersonalize(t *testing.T) {
	f := getFixture(t)
	m := f.model(t, 4)
	eps := fixtureEpisodes(t, f, true, 1)
	sum := &Summarizer{Model: m, Enc: f.Enc, P: prompt.Prompting{Family: data.FamilyELIX}, MaxTokens: 6, Temperature: 1, Seed: 3}
	s, err := sum.Episodes(context.Background(), eps, false, nil)
	if err != nil || len(s.PerEpisode) != len(eps) {
		t.Fatalf("%v %+v", err, s)
	}
	sp, err := sum.Episodes(context.Background(), eps, true, nil)
	if err != nil || len(sp.PerTarget) != len(eps) || len(sp.PerTarget[0]) != len(eps[0].Targets) {
		t.Fatalf("prompt-dependent: %v", err)
	}
	ev := &Evaluation{Enc: f.Enc, P: prompt.Prompting{Family: data.FamilyELIX}, Base: m, Judge: ExactJudge{}, Config: EvalConfig{MaxTokens: 6, WinTargets: 1},
		Episodes: eps, Before: s, After: sp, Dataset: "world"}
	rms, det, err := ev.Run(context.Background(), []MethodModel{{Method: MethodBase, Gen: m}, {Method: MethodPOPIInferenceOnly, Gen: m}, {Method: MethodRawPrompting, Gen: m}})
	if err != nil {
		t.Fatal(err)
	}
	if *rms[0].Acc != 0.5 || rms[0].AvgLen != nil || len(det) != 3 || det[1].MeanMargin == nil {
		t.Fatalf("%+v %+v", rms[0], det)
	}
	if rms[1].Judge.Valid()+rms[1].Judge.Invalid != len(eps) {
		t.Fatalf("judged %+v for %d episodes with 1 prompt each", rms[1].Judge, len(eps))
	}
	g := &LocalGenerator{Model: m, Enc: f.Enc, MaxTokens: 6}
	z, resp, err := Personalize(context.Background(), sum, g, prompt.Prompting{Family: data.FamilyELIX}, prompt.EpisodeSignals(&eps[0]), []string{"why rain?", "what is a cat?"})
	if err != nil || len(resp) != 2 {
		t.Fatalf("%v %d", err, len(resp))
	}
	again, _ := Respond(context.Background(), g, prompt.Prompting{Family: data.FamilyELIX}, z, []string{"why rain?", "what is a cat?"})
	if !slices2Equal(resp, again) {
		t.Fatal("responses with the stored summary differ")
	}
}

func slices2Equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
