package popi

import (
	"context"
	"math"
	"testing"
)

// Entropies agree with the entropy of the full next-token distribution scored token by
// token (every vocabulary entry as a one-token continuation of the prefix), also with a
// temperature, and LMPolicy satisfies rl.EntropyScorer.
func TestPolicyEntropiesMatchScoredDistribution(t *testing.T) {
	f := getFixture(t)
	m := f.model(t, 1)
	p, _ := NewLMPolicy(m, f.Enc)
	seqs := testSeqs(f)
	r := m.NewRunner()
	all := make([][]int, m.Config.Vocab)
	for v := range all {
		all[v] = []int{v}
	}
	for _, temp := range []float64{0, 0.7} {
		p.Temperature = temp
		h, err := p.Entropies(context.Background(), seqs)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range seqs {
			if len(h[i]) != len(s.Completion) {
				t.Fatalf("seq %d: %d entropies for %d tokens", i, len(h[i]), len(s.Completion))
			}
			for j := range s.Completion {
				prefix := append(append([]int(nil), s.Prompt...), s.Completion[:j]...)
				sc, err := r.ScoreTemp(prefix, all, temp)
				if err != nil {
					t.Fatal(err)
				}
				want := 0.0
				for _, x := range sc {
					want -= math.Exp(x.LogProb) * x.LogProb
				}
				if math.Abs(h[i][j]-want) > 1e-4 || want <= 0 {
					t.Fatalf("T=%v seq %d token %d: entropy %v, scored %v", temp, i, j, h[i][j], want)
				}
			}
		}
	}
}
