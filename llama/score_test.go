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
	for i := range 2 * scoreSeqBudget { // more than one pass of prefix copies
		conts = append(conts, seqs[2][i%50:i%50+2+i%3])
	}
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
			lp := float64(row[tok]) - logSumExp(row, 1)
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

// Temperature scoring matches the training log-probs at that temperature,
// and ScoreSeqs (mixed prompts) equals per-prompt Score.
func TestScoreTemperatureAndSeqs(t *testing.T) {
	m := loadGolden(t, ".", LoadOptions{})
	seqs := goldenInputs(t)
	batch := []TrainSeq{
		{seqs[1][:12], seqs[1][12:30]},
		{seqs[2][:40], seqs[2][40:45]},
		{seqs[1][:12], seqs[0][1:]},
		{seqs[2][:40], nil},
	}
	r := m.NewRunner()
	for _, temp := range []float64{1, 0.6} {
		got, err := r.ScoreSeqs(batch, temp)
		if err != nil {
			t.Fatal(err)
		}
		lp, err := m.Trainable().CompletionLogProbs(batch, temp)
		if err != nil {
			t.Fatal(err)
		}
		for i, toks := range lp.Tokens() {
			one, err := r.ScoreTemp(batch[i].Prompt, [][]int{batch[i].Completion}, temp)
			if err != nil {
				t.Fatal(err)
			}
			// Batched and single scoring may take different GEMM paths (on AVX2 the
			// few-rows kernel serves up to 8 rows, the blocked GEMM more), which sum in
			// another order: equal up to float32 rounding, not bit for bit.
			tol := 1e-6 * math.Max(1, math.Abs(one[0].LogProb))
			if len(got[i].TokenLogProbs) != len(toks) || math.Abs(one[0].LogProb-got[i].LogProb) > tol {
				t.Fatalf("temp %g seq %d: ScoreSeqs %v vs ScoreTemp %v", temp, i, got[i].LogProb, one[0].LogProb)
			}
			for j, v := range toks {
				if math.Abs(v-got[i].TokenLogProbs[j]) > 1e-4 {
					t.Errorf("temp %g seq %d token %d: score %.6f, training %.6f", temp, i, j, got[i].TokenLogProbs[j], v)
				}
			}
		}
		if temp != 1 {
			plain, _ := r.ScoreSeqs(batch, 1)
			if math.Abs(plain[0].LogProb-got[0].LogProb) < 1e-3 {
				t.Error("temperature had no effect")
			}
		}
	}
	if _, err := r.ScoreTemp(seqs[0], [][]int{{1}}, math.NaN()); err == nil {
		t.Error("NaN temperature accepted")
	}
}
