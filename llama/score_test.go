package llama

import (
	"math"
	"testing"
)

type dpoGolden struct {
	Prompt   []int     `json:"prompt_ids"`
	Chosen   []int     `json:"chosen_ids"`
	Rejected []int     `json:"rejected_ids"`
	PC       float64   `json:"policy_chosen_logp"`
	PR       float64   `json:"policy_rejected_logp"`
	RC       float64   `json:"ref_chosen_logp"`
	RR       float64   `json:"ref_rejected_logp"`
	PCTok    []float64 `json:"policy_chosen_token_logps"`
	PRTok    []float64 `json:"policy_rejected_token_logps"`
	RCTok    []float64 `json:"ref_chosen_token_logps"`
	RRTok    []float64 `json:"ref_rejected_token_logps"`
}

func TestScoreGoldenDPO(t *testing.T) {
	var g dpoGolden
	readJSON(t, goldenPath("dpo.json"), &g)
	for _, tc := range []struct {
		sub    string
		sums   [2]float64
		tokens [2][]float64
	}{
		{".", [2]float64{g.PC, g.PR}, [2][]float64{g.PCTok, g.PRTok}},
		{"ref", [2]float64{g.RC, g.RR}, [2][]float64{g.RCTok, g.RRTok}},
	} {
		m := loadGolden(t, tc.sub, LoadOptions{})
		got, err := m.Score(g.Prompt, [][]int{g.Chosen, g.Rejected})
		if err != nil {
			t.Fatal(err)
		}
		for k := range 2 {
			var worst float64
			for j, v := range tc.tokens[k] {
				worst = max(worst, math.Abs(got[k].TokenLogProbs[j]-v))
			}
			d := math.Abs(got[k].LogProb - tc.sums[k])
			t.Logf("%s cont %d: per-token max diff %.3g, sum %.6f vs %.6f (diff %.3g)", tc.sub, k, worst, got[k].LogProb, tc.sums[k], d)
			if len(got[k].TokenLogProbs) != len(tc.tokens[k]) || worst > 1e-4 || d > 5e-4 {
				t.Errorf("%s cont %d: per-token diff %.3g, sum diff %.3g", tc.sub, k, worst, d)
			}
		}
	}
}

// Scoring K continuations on a shared prefix equals scoring each
// prompt+continuation in its own full forward pass.
func TestScoreSharedEqualsIndependent(t *testing.T) {
	m := loadGolden(t, "untied", LoadOptions{})
	seqs := goldenInputs(t)
	prompt := seqs[1][:20]
	conts := [][]int{seqs[1][20:], seqs[2][5:9], {}, {7}, seqs[0][1:]}
	got, err := m.Score(prompt, conts)
	if err != nil {
		t.Fatal(err)
	}
	V := m.Config.Vocab
	for k, c := range conts {
		full := fullLogits(t, m, append(append([]int{}, prompt...), c...))
		var sum, worst float64
		for j, tok := range c {
			row := full[(len(prompt)+j-1)*V : (len(prompt)+j)*V]
			lp := float64(row[tok]) - logSumExp(row)
			sum += lp
			worst = max(worst, math.Abs(lp-got[k].TokenLogProbs[j]))
		}
		if worst > 1e-5 || math.Abs(sum-got[k].LogProb) > 1e-4 || len(got[k].TokenLogProbs) != len(c) {
			t.Errorf("continuation %d: per-token diff %.3g, sum %.6f vs %.6f", k, worst, got[k].LogProb, sum)
		}
	}
	if _, err := m.Score(nil, conts); err == nil {
		t.Error("empty prompt accepted")
	}
	if _, err := m.Score(prompt, [][]int{{1, V}}); err == nil {
		t.Error("out-of-vocabulary continuation accepted")
	}
}
