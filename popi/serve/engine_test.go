package serve

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/popi-go/popi/llama"
)

// collect runs a submitted job to its end and returns each completion's tokens and finish.
func collect(t *testing.T, j *Job, n int) ([][]int, []string) {
	t.Helper()
	toks := make([][]int, n)
	fin := make([]string, n)
	for {
		evs, done, err := j.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Token >= 0 {
				toks[e.Choice] = append(toks[e.Choice], e.Token)
			}
			if e.Finish != "" {
				fin[e.Choice] = e.Finish
			}
		}
		if done {
			return toks, fin
		}
	}
}

// The engine's completions equal llama.Runner.GenerateN's (same seed, stream i for
// completion i) whether a job runs alone or joins others mid-decode: sequences of one
// batch do not change each other's logits, and each completion has its own sampler.
func TestEngineMatchesGenerateN(t *testing.T) {
	m, tok := tinyModel(t)
	prompts := [][]int{
		tok.EncodeChat([]llama.Message{{Role: "user", Content: "Tell me about cats."}}, llama.ChatOptions{AddGenerationPrompt: true}),
		tok.EncodeChat([]llama.Message{{Role: "user", Content: "How do planes fly? Explain it slowly."}}, llama.ChatOptions{AddGenerationPrompt: true}),
		{m.Config.BOS},
		tok.EncodeChat([]llama.Message{{Role: "system", Content: "Be terse."}, {Role: "user", Content: "Rain?"}}, llama.ChatOptions{AddGenerationPrompt: true}),
	}
	sample := llama.SampleOptions{Temperature: 0.9, TopP: 0.95, TopK: 50}
	stops := m.Config.EOS
	want := make([][]llama.Completion, len(prompts))
	for i, p := range prompts {
		var err error
		if want[i], err = m.NewRunner().GenerateN(p, 2, llama.GenerateOptions{SampleOptions: sample, MaxTokens: 24 + 8*i, Seed: uint64(10 + i), StopTokens: stops}); err != nil {
			t.Fatal(err)
		}
	}
	e := NewEngine(m, EngineOptions{MaxBatch: 16, PrefillChunk: 7}) // small chunks: prompts prefill over several steps
	defer e.Close()
	check := func(i int, toks [][]int, fin []string) {
		for c := range 2 {
			w := want[i][c]
			wf := map[llama.FinishReason]string{llama.FinishStop: "stop", llama.FinishLength: "length"}[w.Finish]
			if !slices.Equal(toks[c], w.Tokens) || fin[c] != wf {
				t.Errorf("prompt %d completion %d: engine %v (%s), GenerateN %v (%s)", i, c, toks[c], fin[c], w.Tokens, wf)
			}
		}
	}
	// Alone.
	for i, p := range prompts {
		j := &Job{Prompt: p, N: 2, Sample: sample, Seed: uint64(10 + i), MaxTokens: 24 + 8*i, StopTokens: stops}
		if err := e.Submit(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		toks, fin := collect(t, j, 2)
		check(i, toks, fin)
	}
	// Together, submitted at staggered moments so they join a running batch.
	var wg sync.WaitGroup
	for i, p := range prompts {
		j := &Job{Prompt: p, N: 2, Sample: sample, Seed: uint64(10 + i), MaxTokens: 24 + 8*i, StopTokens: stops}
		if err := e.Submit(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks, fin := collect(t, j, 2)
			check(i, toks, fin)
		}()
		if i == 1 {
			for e.stats.genTokens.Load() == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	wg.Wait()
}

// Prompt log-probs computed in chunks equal llama.Model.Score.
func TestEnginePromptLogprobs(t *testing.T) {
	m, tok := tinyModel(t)
	p := tok.EncodeChat([]llama.Message{{Role: "user", Content: "Do you like cats?"}, {Role: "assistant", Content: "Cats are small and quiet."}}, llama.ChatOptions{})
	e := NewEngine(m, EngineOptions{LogitBudget: 5 * m.Config.Vocab}) // 5 rows per step
	defer e.Close()
	j := &Job{Prompt: p, N: 1, PromptLogprobs: true, TopLogprobs: 3}
	if err := e.Submit(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	collect(t, j, 1)
	got := j.PromptResult()
	sc, err := m.Score(p[:1], [][]int{p[1:]})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(got.Logprobs[0]) || got.Top[0] != nil {
		t.Fatalf("first token: %v %v", got.Logprobs[0], got.Top[0])
	}
	for k := 1; k < len(p); k++ {
		if math.Abs(got.Logprobs[k]-sc[0].TokenLogProbs[k-1]) > 1e-4 {
			t.Fatalf("token %d: engine %v, Score %v", k, got.Logprobs[k], sc[0].TokenLogProbs[k-1])
		}
		top := got.Top[k]
		if len(top) != 3 || top[0].Logprob < top[1].Logprob || top[1].Logprob < top[2].Logprob || got.Logprobs[k] > top[0].Logprob+1e-12 {
			t.Fatalf("token %d top %v (token log-prob %v)", k, top, got.Logprobs[k])
		}
	}
}

func TestEngineRejects(t *testing.T) {
	m, _ := tinyModel(t)
	e := NewEngine(m, EngineOptions{MaxBatch: 4})
	for _, j := range []*Job{
		{N: 1, MaxTokens: 1},
		{Prompt: []int{1}, N: 0, MaxTokens: 1},
		{Prompt: []int{1}, N: 5, MaxTokens: 1},
		{Prompt: []int{-1}, N: 1, MaxTokens: 1},
		{Prompt: []int{1}, N: 1, MaxTokens: 0},
		{Prompt: []int{1}, N: 1, MaxTokens: math.MaxInt},
		{Prompt: []int{1}, N: 1, MaxTokens: 1, TopLogprobs: 99},
		{Prompt: []int{1}, N: 1, MaxTokens: 1, Sample: llama.SampleOptions{Temperature: math.NaN()}},
		{Prompt: []int{1}, N: 1, MaxTokens: 1, StopTokens: []int{1 << 30}},
	} {
		if err := e.Submit(context.Background(), j); err == nil {
			t.Errorf("job %+v accepted", j)
		}
	}
	e.Close()
	if err := e.Submit(context.Background(), &Job{Prompt: []int{1}, N: 1, MaxTokens: 1}); err != ErrClosed {
		t.Fatalf("closed engine: %v", err)
	}
}
