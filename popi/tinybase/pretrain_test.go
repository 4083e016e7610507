package tinybase

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
)

// tinyPretrainConfig is a recipe small enough for a unit test.
func tinyPretrainConfig() Config {
	c := DefaultConfig()
	c.World = world.Config{Seed: 3, TrainUsers: 12, HeldOutUsers: 4, PairsPerUser: 8, HeldOutTopics: 12}
	c.Examples = 96
	c.TokenizerExamples = 96
	c.VocabSize = 700
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads = 32, 64, 1, 4, 2
	c.Steps, c.Batch, c.Warmup = 40, 4, 4
	c.AnnealSteps, c.AnnealExamples = 8, 24 // the recipe's annealing phase, scaled down
	c.LR, c.FinalLR = 1e-2, 1e-3
	c.LogEvery = 10
	return c
}

func TestEncodeChatExampleMatchesWholeConversation(t *testing.T) {
	c := tinyPretrainConfig()
	_, chats, _, err := Corpus(&c)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := TrainTokenizer(chats, 48, c.VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	eot, _ := tok.SpecialID("<|eot_id|>")
	for i, ex := range chats[:20] {
		p, tg, err := EncodeChatExample(tok, ex, "03 Feb 2025")
		if err != nil {
			t.Fatal(err)
		}
		msgs := append(ex.Messages.Llama(), llama.Message{Role: "assistant", Content: ex.Assistant})
		whole := tok.EncodeChat(msgs, llama.ChatOptions{Date: "03 Feb 2025"})
		if got := append(slices.Clone(p), tg...); !slices.Equal(got, whole) {
			t.Fatalf("example %d (%s): prompt+target != whole conversation\n%v\n%v", i, ex.Kind, got, whole)
		}
		if tg[len(tg)-1] != eot {
			t.Fatalf("example %d: target does not end with <|eot_id|>", i)
		}
		txt, _ := tok.Decode(tg[:len(tg)-1])
		if string(txt) != strings.TrimSpace(ex.Assistant) {
			t.Fatalf("example %d: target decodes to %q, want %q", i, txt, ex.Assistant)
		}
	}
	if _, _, err := EncodeChatExample(tok, prompt.ChatExample{Messages: prompt.Messages{User: "hi"}, Assistant: "  "}, ""); err == nil {
		t.Fatal("empty assistant target accepted")
	}
}

func TestPadBatchWeightsAndTargets(t *testing.T) {
	seqs := []pretrainSeq{
		{ids: []int{1, 2, 3, 4}, weights: []float32{0, 0.5, 1}},
		{ids: []int{5, 6}, weights: []float32{1}},
	}
	ids, tg, w, ws := padBatch(seqs, []int{0, 1}, 9)
	if !slices.Equal(ids[1], []int{5, 6, 9, 9}) || len(ids[0]) != 4 {
		t.Fatalf("ids %v", ids)
	}
	wantT := []int{-1, 3, 4, -1, 6, -1, -1, -1}
	wantW := []float32{0, 0.5, 1, 0, 1, 0, 0, 0}
	if !slices.Equal(tg, wantT) || !slices.Equal(w, wantW) || ws != 2.5 {
		t.Fatalf("targets %v weights %v sum %v", tg, w, ws)
	}
}

func TestBatcherCoversEpochWithSimilarLengths(t *testing.T) {
	var seqs []pretrainSeq
	for i := 0; i < 256; i++ {
		seqs = append(seqs, pretrainSeq{ids: make([]int, 2+(i*37)%200)})
	}
	b := newBatcher(seqs, 4, 1)
	seen := map[int]int{}
	for range 64 {
		for _, i := range b.next() {
			seen[i]++
		}
	}
	if len(seen) != 256 || b.epoch != 1 {
		t.Fatalf("one epoch of 64 batches saw %d distinct examples (epoch %d)", len(seen), b.epoch)
	}
	// Same seed, same order.
	x, y := newBatcher(seqs, 4, 7), newBatcher(seqs, 4, 7)
	for range 100 {
		if !slices.Equal(x.next(), y.next()) {
			t.Fatal("batcher is not deterministic")
		}
	}
}

func TestPretrainConfigValidate(t *testing.T) {
	good := DefaultConfig()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(c *Config){
		"examples":   func(c *Config) { c.Examples = 0 },
		"vocab":      func(c *Config) { c.VocabSize = 100 },
		"heads":      func(c *Config) { c.Heads = 5 },
		"kv":         func(c *Config) { c.KVHeads = 3 },
		"steps":      func(c *Config) { c.Steps = 0 },
		"batch":      func(c *Config) { c.Batch = c.Examples + 1 },
		"lr":         func(c *Config) { c.LR = 0 },
		"final-lr":   func(c *Config) { c.FinalLR = 1 },
		"prompt-w":   func(c *Config) { c.PromptWeight = 2 },
		"budget":     func(c *Config) { c.Budget = -1 },
		"warmup":     func(c *Config) { c.Warmup = -1 },
		"positions":  func(c *Config) { c.MaxPositions = 4 },
		"anneal":     func(c *Config) { c.AnnealSteps = c.Steps + 1 },
		"anneal-n":   func(c *Config) { c.AnnealExamples = c.Batch - 1 },
		"anneal-mix": func(c *Config) { c.AnnealMix = c.AnnealMix[:3] },
	} {
		c := tinyPretrainConfig()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: bad config accepted", name)
			continue
		}
		if _, err := Pretrain(context.Background(), c); err == nil {
			t.Errorf("%s: Pretrain accepted a bad config", name)
		}
	}
	// An example longer than the context is an error naming it, not a truncation.
	c := tinyPretrainConfig()
	c.MaxPositions = 64
	if _, err := Pretrain(context.Background(), c); err == nil || !strings.Contains(err.Error(), "more than the context") {
		t.Fatalf("over-long example: err = %v", err)
	}
}

func TestPretrainTinyLowersLossAndSavesLoadableDir(t *testing.T) {
	c := tinyPretrainConfig()
	dir := t.TempDir()
	c.MetricsPath = filepath.Join(dir, "metrics.jsonl")
	var log bytes.Buffer
	c.Log = &log
	res, err := Pretrain(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != c.Steps || res.Tokens <= 0 {
		t.Fatalf("steps %d tokens %d", res.Steps, res.Tokens)
	}
	if !(res.LastLoss < res.FirstLoss-1) {
		t.Fatalf("loss did not drop: first %.3f last %.3f\n%s", res.FirstLoss, res.LastLoss, log.String())
	}
	if !strings.Contains(log.String(), "tok/s") || !strings.Contains(log.String(), "ETA") {
		t.Fatalf("no progress line:\n%s", log.String())
	}
	mb, err := os.ReadFile(c.MetricsPath)
	if err != nil || bytes.Count(mb, []byte("\n")) != c.Steps/c.LogEvery {
		t.Fatalf("metrics: %v\n%s", err, mb)
	}
	out := filepath.Join(dir, "model")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "README.md"), []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(out, res.Model, res.Tokenizer); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "generation_config.json", "model.safetensors", "tokenizer.model",
		"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "README.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}
	m, tok, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Config.TieWordEmbeddings || m.Config.RopeScaling == nil || m.Config.KVHeads != c.KVHeads || m.Config.Vocab != tok.VocabSize() {
		t.Fatalf("config %+v", m.Config)
	}
	// The reloaded model scores exactly like the trained one.
	prompt := tok.Encode("Explain the moon.", false)
	a, err := res.Model.Score(prompt, [][]int{prompt})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Score(prompt, [][]int{prompt})
	if err != nil {
		t.Fatal(err)
	}
	if a[0].LogProb != b[0].LogProb {
		t.Fatalf("reloaded model scores %v, trained %v", b[0].LogProb, a[0].LogProb)
	}
	// The tiktoken and tokenizer.json files encode alike.
	tj, err := llama.LoadTokenizerJSON(filepath.Join(out, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	tt, err := llama.LoadTiktoken(filepath.Join(out, "tokenizer.model"))
	if err != nil {
		t.Fatal(err)
	}
	text := "<|start_header_id|>user<|end_header_id|>\n\nHow do volcanoes work?<|eot_id|>"
	if x, y := tj.Encode(text, true), tt.Encode(text, true); !slices.Equal(x, y) || !slices.Equal(x, res.Tokenizer.Encode(text, true)) {
		t.Fatalf("tokenizer files disagree: %v vs %v", x, y)
	}

	// Same seed, same weights; saving again over the directory replaces it whole.
	c2 := tinyPretrainConfig()
	res2, err := Pretrain(context.Background(), c2)
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(dir, "model2")
	if err := Save(out2, res2.Model, res2.Tokenizer); err != nil {
		t.Fatal(err)
	}
	w1, _ := os.ReadFile(filepath.Join(out, "model.safetensors"))
	w2, _ := os.ReadFile(filepath.Join(out2, "model.safetensors"))
	if len(w1) == 0 || !bytes.Equal(w1, w2) {
		t.Fatal("same seed gave different weights")
	}
	if err := Save(out, res2.Model, res2.Tokenizer); err != nil {
		t.Fatal(err)
	}

	// The quality report runs on the tiny model and gives fractions.
	rep, err := Evaluate(res.Model, res.Tokenizer, res.World, EvalConfig{N: 4, Summaries: 2, MaxTokens: 24, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{rep.FitSummary, rep.FitNone, rep.AccSummary, rep.AccNone, rep.AccPairs, rep.MarginBeatsNone, rep.GreedySummary.Parseable} {
		if v < 0 || v > 1 {
			t.Fatalf("fraction out of range in %+v", rep)
		}
	}
	if rep.Pairs != 4 || rep.Summaries != 2 || !strings.Contains(rep.String(), "reward accuracy") {
		t.Fatalf("report %+v", rep)
	}
}

func TestSaveBaseModelRejectsMismatchedTokenizer(t *testing.T) {
	c := tinyPretrainConfig()
	_, chats, _, err := Corpus(&c)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := TrainTokenizer(chats, 48, c.VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.ModelConfig(tok)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Vocab++
	m, err := llama.NewRandom(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, m, tok); err == nil {
		t.Fatal("mismatched vocabularies accepted")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("failed save left %s behind", dir)
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "nothing")); err == nil {
		t.Fatal("loading a missing directory succeeded")
	}
}

func TestTopicSwapRenamesConsistently(t *testing.T) {
	sw := newTopicSwapper()
	rng := pretrainRNG(1)
	ex := prompt.ChatExample{
		Messages:  prompt.Messages{System: "s", User: "Why is rainbows important? Rain and the moon. The moon is big. Trains!"},
		Assistant: "Rainbows is nice. I like rainbows, not brains or terrain.",
	}
	got := sw.swap(ex, rng)
	for _, s := range []string{got.Messages.User, got.Assistant} {
		for _, w := range []string{"rainbows", "Rainbows", "the moon", "The moon", "Trains", "Rain "} {
			if strings.Contains(s, w) {
				t.Fatalf("topic %q left in %q", w, s)
			}
		}
	}
	if !strings.Contains(got.Assistant, "brains or terrain") {
		t.Fatalf("non-topic words changed: %q", got.Assistant)
	}
	// The same topic gets the same word in prompt and target, capitalized where it was.
	uw := world.Words(got.Messages.User)
	aw := world.Words(got.Assistant)
	if uw[2] != aw[0] || aw[0] != aw[5] {
		t.Fatalf("inconsistent renaming: %q / %q", got.Messages.User, got.Assistant)
	}
	if got.Assistant[0] < 'A' || got.Assistant[0] > 'Z' {
		t.Fatalf("capital lost: %q", got.Assistant)
	}
	t.Log(got.Messages.User, "|", got.Assistant)
}
