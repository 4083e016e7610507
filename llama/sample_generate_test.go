package llama

import (
	"slices"
	"testing"
)

// TestGenerateDrawsMatchFullSort replays every logit row generation drew
// from through the full-sort reference sampler of the same stream: the
// tokens must be the ones generated, with the bracketed walk forced on
// (the tiny vocabulary would otherwise always take the full-sort path) and
// the samplers sharing buffers across the decode step's parallel chunks.
func TestGenerateDrawsMatchFullSort(t *testing.T) {
	defer func(v int) { sampleExactMax = v }(sampleExactMax)
	sampleExactMax = 0
	m := loadGolden(t, "untied", LoadOptions{})
	seqs := goldenInputs(t)
	prompts := [][]int{seqs[0], seqs[1][:30], seqs[0][:7]}
	for _, so := range []SampleOptions{
		{Temperature: 1},
		{Temperature: 1, TopP: 0.9},
		{Temperature: 0.8, TopK: 100, TopP: 0.95},
		{Temperature: 3, TopK: 200},
	} {
		const n = 4
		rows := make([][][]float32, len(prompts)*n)
		opts := GenerateOptions{MaxTokens: 12, Seed: 5, StopTokens: []int{}, SampleOptions: so,
			StepLogits: func(i int, row []float32) { rows[i] = append(rows[i], slices.Clone(row)) }}
		groups, err := m.NewRunner().GenerateGroups(prompts, n, opts)
		if err != nil {
			t.Fatal(err)
		}
		for p := range prompts {
			for g := range n {
				i := p*n + g
				ref := newRefSampler(so, opts.Seed, uint64(i))
				got := groups[p][g].Tokens
				if len(rows[i]) != len(got) {
					t.Fatalf("%+v completion %d: %d rows for %d tokens", so, i, len(rows[i]), len(got))
				}
				for step, row := range rows[i] {
					if want := ref.Sample(row); want != got[step] {
						t.Fatalf("%+v completion %d step %d: generated %d, full sort draws %d", so, i, step, got[step], want)
					}
				}
			}
		}
	}
}

// TestSampleAllocs checks that a warmed sampler allocates nothing per draw.
func TestSampleAllocs(t *testing.T) {
	row := benchSampleRow(8192, "normal")
	for _, o := range []SampleOptions{{Temperature: 1}, {Temperature: 1, TopP: 0.95}, {Temperature: 0.7, TopK: 50, TopP: 0.9}} {
		s := NewSampler(o, 1, 1)
		for range 20 {
			s.Sample(row)
		}
		if a := testing.AllocsPerRun(50, func() { s.Sample(row) }); a != 0 {
			t.Errorf("%+v: %.1f allocations per draw", o, a)
		}
	}
}
