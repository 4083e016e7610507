package llama

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

type greedyGolden struct {
	PromptIDs []int `json:"prompt_ids"`
	Steps     int   `json:"steps"`
	Tied      struct {
		IDs          []int `json:"ids"`
		EOSPositions []int `json:"eos_positions_in_continuation"`
	} `json:"tied"`
	Untied struct {
		IDs          []int `json:"ids"`
		EOSPositions []int `json:"eos_positions_in_continuation"`
	} `json:"untied"`
}

func TestGreedyGolden(t *testing.T) {
	var g greedyGolden
	readJSON(t, goldenPath("greedy.json"), &g)
	for _, tc := range []struct {
		sub, name string
		ids       []int
		eos       []int
	}{
		{".", "tied", g.Tied.IDs, g.Tied.EOSPositions},
		{"untied", "untied", g.Untied.IDs, g.Untied.EOSPositions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := loadGolden(t, tc.sub, LoadOptions{})
			stepLogits, _ := readGolden(t, goldenPath("greedy_logits.safetensors"), tc.name+"_step_logits")
			V := m.Config.Vocab
			// All 24 steps, stop tokens disabled: ids and step logits.
			var worst float64
			c, err := m.Generate(g.PromptIDs, GenerateOptions{MaxTokens: g.Steps, StopTokens: []int{}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Tokens, tc.ids) || c.Finish != FinishLength {
				t.Fatalf("greedy ids %v (%v), want %v", c.Tokens, c.Finish, tc.ids)
			}
			step := 0
			_, err = m.Generate(g.PromptIDs, GenerateOptions{MaxTokens: g.Steps, StopTokens: []int{},
				StepLogits: func(_ int, row []float32) {
					worst = max(worst, maxAbsDiff(row, stepLogits[step*V:(step+1)*V]))
					step++
				}})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("step logits max abs diff %.3g over %d steps", worst, step)
			if step != g.Steps || worst > 1e-4 {
				t.Errorf("step logits: %d steps, max abs diff %.3g", step, worst)
			}
			// Stopping on the config's eos ids.
			c, err = m.Generate(g.PromptIDs, GenerateOptions{MaxTokens: g.Steps})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.ids
			finish := FinishLength
			if len(tc.eos) > 0 {
				want = tc.ids[:tc.eos[0]+1]
				finish = FinishStop
			}
			if !slices.Equal(c.Tokens, want) || c.Finish != finish {
				t.Errorf("with eos stop: %v (%v), want %v (%v)", c.Tokens, c.Finish, want, finish)
			}
		})
	}
}

// GenerateN shares the prompt prefix; each completion must equal the same
// stream generated alone, and a batch of prompts must equal one-by-one runs.
func TestGenerateNSharedPrefix(t *testing.T) {
	m := loadGolden(t, "untied", LoadOptions{})
	var g greedyGolden
	readJSON(t, goldenPath("greedy.json"), &g)
	opts := GenerateOptions{MaxTokens: 12, Seed: 7, SampleOptions: SampleOptions{Temperature: 0.9, TopK: 50, TopP: 0.95}}
	r := m.NewRunner()
	cs, err := r.GenerateN(g.PromptIDs, 4, opts)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for i, c := range cs {
		distinct[fmt.Sprint(c.Tokens)] = true
		// Stream i alone: a batch of prompts where only prompt i is used
		// with the same stream index.
		prompts := make([][]int, i+1)
		for k := range prompts {
			prompts[k] = g.PromptIDs
		}
		one, err := r.GenerateBatch(prompts, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one[i].Tokens, c.Tokens) || one[i].Finish != c.Finish {
			t.Errorf("completion %d: shared prefix %v, independent %v", i, c.Tokens, one[i].Tokens)
		}
	}
	if len(distinct) < 2 {
		t.Errorf("4 sampled completions are all identical: %v", cs)
	}
	// Same seed, same result; the streaming callback sees every token.
	var streamed [4][]int
	opts.Stream = func(i, tok int) bool { streamed[i] = append(streamed[i], tok); return true }
	again, err := m.GenerateN(g.PromptIDs, 4, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		if !slices.Equal(again[i].Tokens, cs[i].Tokens) || !slices.Equal(streamed[i], cs[i].Tokens) {
			t.Errorf("completion %d not reproducible: %v / %v / streamed %v", i, cs[i].Tokens, again[i].Tokens, streamed[i])
		}
	}
	// Stream returning false stops that completion only.
	opts.Stream = func(i, tok int) bool { return i != 1 }
	cut, err := m.GenerateN(g.PromptIDs, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(cut[1].Tokens) != 1 || cut[1].Finish != FinishCallback || !slices.Equal(cut[0].Tokens, cs[0].Tokens) {
		t.Errorf("callback stop: %v", cut)
	}
}

// Batched decoding of different prompts equals greedy decoding one by one.
func TestGenerateBatchGreedy(t *testing.T) {
	m := loadGolden(t, ".", LoadOptions{})
	seqs := goldenInputs(t)
	opts := GenerateOptions{MaxTokens: 10, StopTokens: []int{}}
	got, err := m.NewRunner().GenerateBatch(seqs, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range seqs {
		one, err := m.Generate(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one.Tokens, got[i].Tokens) {
			t.Errorf("prompt %d: batched %v, alone %v", i, got[i].Tokens, one.Tokens)
		}
	}
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	m := loadGolden(t, ".", LoadOptions{})
	for name, c := range map[string]struct {
		prompt []int
		opts   GenerateOptions
	}{
		"empty prompt":  {nil, GenerateOptions{MaxTokens: 3}},
		"no max tokens": {[]int{1}, GenerateOptions{}},
		"bad token":     {[]int{1, 999}, GenerateOptions{MaxTokens: 3}},
		"bad stop":      {[]int{1}, GenerateOptions{MaxTokens: 3, StopTokens: []int{-2}}},
		"nan temp":      {[]int{1}, GenerateOptions{MaxTokens: 3, SampleOptions: SampleOptions{Temperature: math.NaN()}}},
		"neg top-k":     {[]int{1}, GenerateOptions{MaxTokens: 3, SampleOptions: SampleOptions{Temperature: 1, TopK: -1}}},
	} {
		if _, err := m.Generate(c.prompt, c.opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// Generation stops cleanly at max_position_embeddings.
func TestGenerateContextLimit(t *testing.T) {
	m, err := NewRandom(&Config{Vocab: 50, Hidden: 16, Intermediate: 32, Layers: 1, Heads: 2, KVHeads: 1,
		HeadDim: 8, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositions: 16, BOS: -1}, 5)
	if err != nil {
		t.Fatal(err)
	}
	prompt := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	cs, err := m.GenerateN(prompt, 2, GenerateOptions{MaxTokens: 20, StopTokens: []int{}, SampleOptions: SampleOptions{Temperature: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		// Positions 10..15 are fed back; the token after position 15 is the last.
		if len(c.Tokens) != 7 || c.Finish != FinishContext {
			t.Errorf("completion %d: %d tokens, finish %v; want 7, context", i, len(c.Tokens), c.Finish)
		}
	}
	if _, err := m.Generate(make([]int, 17), GenerateOptions{MaxTokens: 1}); err == nil {
		t.Error("prompt beyond the context accepted")
	}
}

// GenerateGroups decodes prompts x completions in one batch and equals
// GenerateN per prompt with the corresponding streams.
func TestGenerateGroups(t *testing.T) {
	m := loadGolden(t, "untied", LoadOptions{})
	seqs := goldenInputs(t)
	prompts := [][]int{seqs[0], seqs[1][:30]}
	opts := GenerateOptions{MaxTokens: 9, Seed: 3, SampleOptions: SampleOptions{Temperature: 1, TopP: 0.9}}
	r := m.NewRunner()
	groups, err := r.GenerateGroups(prompts, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.GenerateN(prompts[0], 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	for g := range 3 {
		if !slices.Equal(groups[0][g].Tokens, first[g].Tokens) {
			t.Errorf("prompt 0 completion %d: grouped %v, GenerateN %v", g, groups[0][g].Tokens, first[g].Tokens)
		}
	}
	// Prompt 1 completion g uses stream 3+g: a batch of 6 prompts whose
	// entries 3..5 are prompt 1 reproduces it.
	six := [][]int{prompts[0], prompts[0], prompts[0], prompts[1], prompts[1], prompts[1]}
	one, err := r.GenerateBatch(six, opts)
	if err != nil {
		t.Fatal(err)
	}
	for g := range 3 {
		if !slices.Equal(groups[1][g].Tokens, one[3+g].Tokens) {
			t.Errorf("prompt 1 completion %d: grouped %v, independent %v", g, groups[1][g].Tokens, one[3+g].Tokens)
		}
	}
}
