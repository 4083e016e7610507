package llama

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// scoreManyItems is a mix of items ScoreMany batches (prompts and continuation
// passes of more than scoreExactRows rows, 1-token and empty continuations among
// them, an item without continuation rows) and items it scores alone (a short
// prompt, short continuations).
func scoreManyItems(vocab int) []ScoreItem {
	rng := rand.New(rand.NewPCG(3, 5))
	seq := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = rng.IntN(vocab)
		}
		return s
	}
	shared := seq(100)
	pre := func(n int) []int { return append(append([]int(nil), shared...), seq(n)...) }
	return []ScoreItem{
		// A run of prompts with a common prefix of 100 tokens (96 shared: whole query
		// blocks), one whose suffix would be too short to share, another run.
		{pre(20), [][]int{seq(60), seq(40)}},
		{pre(40), [][]int{seq(50), seq(1), seq(30)}},
		{pre(17), [][]int{seq(70), {}}},
		{pre(3), [][]int{seq(70), seq(10)}},
		{pre(30), [][]int{seq(90), seq(10)}},
		{pre(25), [][]int{seq(90), seq(10)}},
		{seq(100), [][]int{seq(80), seq(40)}},
		{seq(70), [][]int{seq(50), {}, seq(30), seq(1)}},
		{seq(30), [][]int{seq(20), seq(20)}}, // short prompt: alone
		{seq(120), [][]int{{}, seq(1)}},      // no continuation rows
		{seq(90), [][]int{seq(10), seq(10)}}, // short continuations: alone
		{seq(200), [][]int{seq(100), seq(100), seq(70)}},
		{seq(66), nil},
		{seq(150), [][]int{seq(300), seq(260)}},
		{seq(80), [][]int{seq(300), seq(290)}},
		{seq(81), [][]int{seq(40), seq(40)}},
	}
}

// ScoreMany equals Score item by item, bit for bit, for f32 and bf16 weights
// (with the bf16 dot-product GEMM), with a LoRA adapter, and with budgets that
// split the items into several batches and continuation passes (one item per
// batch with the KV budget of 1 byte: continuations on cache copies).
func TestScoreManyEqualsScore(t *testing.T) {
	cfg := presetConfig("5m")
	f32, err := NewRandomAs(cfg, 1, tensor.F32)
	if err != nil {
		t.Fatal(err)
	}
	bf, err := NewRandomAs(cfg, 2, tensor.BF16)
	if err != nil {
		t.Fatal(err)
	}
	bf.AllowBF16Dot = true
	models := map[string]*Model{"f32": f32, "bf16": bf,
		"lora": randomAdapterView(t, f32, AdapterConfig{R: 4, Alpha: 8}, 3)}
	items := scoreManyItems(cfg.Vocab)
	for name, m := range models {
		r := m.NewRunner()
		want := make([][]Score, len(items))
		for i, it := range items {
			if want[i], err = r.Score(it.Prompt, it.Conts); err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range []struct {
			rows int
			kv   int64
		}{{scoreManyRows, scoreManyKVBytes}, {250, scoreManyKVBytes}, {scoreManyRows, 1}} {
			oldRows, oldKV := scoreManyRows, scoreManyKVBytes
			scoreManyRows, scoreManyKVBytes = b.rows, b.kv
			got, err := r.ScoreMany(items)
			scoreManyRows, scoreManyKVBytes = oldRows, oldKV
			if err != nil {
				t.Fatal(err)
			}
			for i := range items {
				if len(got[i]) != len(want[i]) {
					t.Fatalf("%s item %d: %d scores, want %d", name, i, len(got[i]), len(want[i]))
				}
				for c := range want[i] {
					g, w := got[i][c], want[i][c]
					if math.Float64bits(g.LogProb) != math.Float64bits(w.LogProb) || len(g.TokenLogProbs) != len(w.TokenLogProbs) {
						t.Fatalf("%s budgets %+v item %d cont %d: log-prob %v (%d tokens), Score %v (%d tokens)",
							name, b, i, c, g.LogProb, len(g.TokenLogProbs), w.LogProb, len(w.TokenLogProbs))
					}
					for j := range w.TokenLogProbs {
						if math.Float64bits(g.TokenLogProbs[j]) != math.Float64bits(w.TokenLogProbs[j]) {
							t.Fatalf("%s item %d cont %d token %d: %v, Score %v", name, i, c, j, g.TokenLogProbs[j], w.TokenLogProbs[j])
						}
					}
				}
			}
		}
	}
	// The test's items exercise both paths.
	r := f32.NewRunner()
	var batched, alone int
	for _, it := range items {
		if r.batchable(it) {
			batched++
		} else {
			alone++
		}
	}
	if batched < 5 || alone < 2 {
		t.Fatalf("%d batchable and %d lone items: the test does not cover both paths", batched, alone)
	}
	// Both continuation plans: rounds on one cache per item, and copies for a lone item
	// whose second continuation alone would make a pass of 64 rows or fewer.
	if _, copies := r.contPasses(items[:3]); copies {
		t.Error("the first three items do not run their continuations in rounds")
	}
	if _, copies := r.contPasses(items[:1]); !copies {
		t.Error("the first item alone does not run its continuations on copies")
	}
	prefix, _ := r.prefixGroups(items)
	if prefix[0] != 96 || prefix[2] != 96 || prefix[3] != 0 || prefix[4] != 96 || prefix[5] != 96 || prefix[6] != 0 {
		t.Fatalf("shared prefixes %v: the test does not cover prefix sharing", prefix)
	}
}

// Bad input returns an error before anything runs; no items score to nothing.
func TestScoreManyErrors(t *testing.T) {
	cfg := presetConfig("5m")
	m, err := NewRandomAs(cfg, 1, tensor.F32)
	if err != nil {
		t.Fatal(err)
	}
	r := m.NewRunner()
	good := scoreManyItems(cfg.Vocab)[0]
	for _, tc := range []struct {
		item ScoreItem
		want string
	}{
		{ScoreItem{Prompt: nil, Conts: good.Conts}, "empty prompt"},
		{ScoreItem{Prompt: []int{1, cfg.Vocab}, Conts: good.Conts}, "outside the vocabulary"},
		{ScoreItem{Prompt: good.Prompt, Conts: [][]int{{1, -1}}}, "outside the vocabulary"},
	} {
		_, err := r.ScoreMany([]ScoreItem{good, tc.item})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "item 1") {
			t.Errorf("got error %v, want one about item 1: %s", err, tc.want)
		}
	}
	if out, err := r.ScoreMany(nil); err != nil || len(out) != 0 {
		t.Errorf("no items: %v, %v", out, err)
	}
}

// Consecutive prompts of two "summaries" (a common 100-token head, then 100 tokens of
// each summary, then a short suffix per prompt) make two runs sharing 192 tokens each (a
// whole number of query blocks of the 200 in common), not one run sharing the head.
func TestScoreManyPrefixRuns(t *testing.T) {
	cfg := presetConfig("5m")
	m, err := NewRandomAs(cfg, 1, tensor.F32)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	seq := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = rng.IntN(cfg.Vocab)
		}
		return s
	}
	cat := func(parts ...[]int) []int {
		var s []int
		for _, p := range parts {
			s = append(s, p...)
		}
		return s
	}
	head, z1, z2 := seq(100), seq(100), seq(100)
	var items []ScoreItem
	for _, z := range [][]int{z1, z2} {
		for range 3 {
			items = append(items, ScoreItem{Prompt: cat(head, z, seq(24))})
		}
	}
	prefix, group := m.NewRunner().prefixGroups(items)
	for i := range items {
		if prefix[i] != 192 || group[i] != i/3 {
			t.Fatalf("prefixes %v, runs %v; want 192 in two runs of 3", prefix, group)
		}
	}
}
