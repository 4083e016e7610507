package popi

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
	"github.com/popi-go/popi/tensor"
)

// BenchmarkStage1Step measures GRPO steps of Stage 1.
//
// tiny: the tiny fixture model, fully fine-tuned; tokens/s counts the sampled summary
// tokens trained on.
//
// 1b, 3b: the Llama-3.2-1B and -3B shapes (random bf16 weights, the synthetic 128,256-token
// Llama-3 vocabulary of llama.SyntheticTokenizer, persona-world episodes) with the paper-scale
// path: πφ a LoRA view (r 16, all seven projections) of one frozen base that πφ_ref and the
// generator share; batch 4 users x group 4 summaries of up to 48 tokens, 4 reward pairs,
// micro-batches of 4. Reported per step: seconds of summary generation (sample-s), reward
// scoring (reward-s), reference/entropy scoring (score-s), policy forward+backward
// (policy-s) and optimizer (opt-s); model GFLOP/s of the policy passes (4 flops per weight
// and row run: forward and dx; a group's shared prompt counts once, the head only on
// summary rows, attention not counted) and with the recomputed forward of checkpointed
// blocks (policy-hw-GFLOP/s: what the hardware executed), and of reward scoring (the
// decoder blocks' 2 per weight and token, generator and first-time reference scoring
// both: the phase's time covers both); the project's prefill throughput
// on the same base (one 512-token prompt) and reward scoring's tokens/s as a fraction of
// it; and the process's peak RSS (VmHWM). Run one shape per process for its own peak:
//
//	go test -run '^$' -bench 'Stage1Step/1b' -benchtime 1x ./popi
func BenchmarkStage1Step(b *testing.B) {
	b.Run("tiny", benchStage1Tiny)
	for _, shape := range []string{"1b", "3b"} {
		b.Run(shape, func(b *testing.B) { benchStage1Shape(b, shape) })
	}
}

func benchStage1Tiny(b *testing.B) {
	f := getFixture(b)
	base := f.model(b, 1)
	eps := fixtureEpisodes(b, f, false, 1)[:4]
	prompts, err := Stage1Prompts(f.Enc, prompt.Prompting{Family: data.FamilyELIX}, eps, 2, false)
	if err != nil {
		b.Fatal(err)
	}
	s := newStage1(b, f, base, Stage1Config{})
	gc := rl.DefaultGRPOConfig()
	gc.GroupSize, gc.Alpha = 4, DefaultAlpha(rl.DPOLoss, 0.1)
	gc.Sample = rl.SampleOptions{Temperature: 1, MaxTokens: 16, StopIDs: []int{f.Enc.End}}
	g := &rl.GRPO{Policy: s.Policy, Ref: s.Ref, Opt: s.Policy.NewAdamW(0), GroupReward: SummaryReward(s.Obj), Config: gc,
		Rand: rand.New(rand.NewPCG(1, 1))}
	tokens := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := g.Step(context.Background(), prompts[:2], 1e-4)
		if err != nil {
			b.Fatal(err)
		}
		tokens += st.Tokens
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}

func benchStage1Shape(b *testing.B, shape string) {
	if testing.Short() {
		b.Skip("paper-scale shapes are not run with -short")
	}
	base, tok, enc, p, prompts := scaleSetup(b, shape, 4)
	defer heapForWeights(base.WeightBytes())() // as Pipeline.Run does
	obj, err := NewObjective(base, base, enc, p, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	if err != nil {
		b.Fatal(err)
	}
	phiModel, err := adapterView(base, DefaultLoRAConfig().Adapter(shape), 1)
	if err != nil {
		b.Fatal(err)
	}
	refModel, _ := base.WithAdapter(nil)
	phi, _ := NewLMPolicy(phiModel, enc)
	ref, _ := NewLMPolicy(refModel, enc)
	s := &Stage1{Config: Stage1Config{Steps: 1, BatchSize: 4, GroupSize: 4, LR: 1e-4, Alpha: -1, Temperature: 1, TopP: 1,
		MaxTokens: 48, RewardPairs: 4, MicroBatch: 4, Seed: 1}, Policy: phi, Ref: ref, Obj: obj, Tok: tok}
	su, err := s.setup()
	if err != nil {
		b.Fatal(err)
	}
	prefill := prefillTokensPerSec(b, base, 512)
	sums := map[string]float64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := su.step(context.Background(), prompts[:min(4, len(prompts))], 1e-4)
		if err != nil {
			b.Fatal(err)
		}
		for k, v := range m {
			sums[k] += v
		}
	}
	b.StopTimer()
	n := float64(b.N)
	for _, k := range []string{"sample", "reward", "score", "policy", "opt"} {
		b.ReportMetric(sums["time_"+k]/n, k+"-s")
	}
	if t := sums["time_policy"]; t > 0 {
		b.ReportMetric(sums["flops_policy"]/t/1e9, "policy-GFLOP/s")
		b.ReportMetric(sums["flops_policy_hw"]/t/1e9, "policy-hw-GFLOP/s")
	}
	b.ReportMetric(prefill, "prefill-tokens/s")
	if t := sums["time_reward"]; t > 0 {
		r := (sums["tokens_reward"] + sums["tokens_reward_ref"]) / t
		b.ReportMetric(sums["flops_reward"]/t/1e9, "reward-GFLOP/s")
		b.ReportMetric(r, "reward-tokens/s")
		b.ReportMetric(r/prefill, "reward/prefill")
	}
	b.ReportMetric(peakRSSGB(), "peak-RSS-GB")
}

// scaleSetup builds a random bf16 base of shape ("1b", "3b") with the synthetic 128k
// vocabulary, its chat encoder, and the ELIX Stage-1 prompts (4 reward pairs) of the first
// users persona-world episodes of the tiny fixture.
func scaleSetup(b *testing.B, shape string, users int) (*llama.Model, *llama.Tokenizer, *prompt.ChatEncoder, prompt.Prompting, []rl.Prompt) {
	cfg, err := llama.ShapeConfig(shape)
	if err != nil {
		b.Fatal(err)
	}
	base, err := llama.NewRandomAs(cfg, 1, tensor.BF16)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := llama.SyntheticTokenizer(cfg.Vocab)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := prompt.NewChatEncoder(tok, cfg, false)
	if err != nil {
		b.Fatal(err)
	}
	f := getFixture(b)
	eps := fixtureEpisodes(b, f, false, 1)[:users]
	p := prompt.Prompting{Family: data.FamilyELIX}
	prompts, err := Stage1Prompts(enc, p, eps, 4, false)
	if err != nil {
		b.Fatal(err)
	}
	return base, tok, enc, p, prompts
}

// prefillTokensPerSec times the prefill of one n-token prompt on m (best of 2).
func prefillTokensPerSec(b *testing.B, m *llama.Model, n int) float64 {
	r := m.NewRunner()
	ids := make([]int, n)
	for i := range ids {
		ids[i] = (i*7919 + 13) % m.Config.Vocab
	}
	c := m.NewKVCache(n)
	best := 0.0
	for range 2 {
		c.Reset()
		t0 := time.Now()
		if err := r.Forward([]llama.Seq{{Cache: c, Tokens: ids}}); err != nil {
			b.Fatal(err)
		}
		best = max(best, float64(n)/time.Since(t0).Seconds())
	}
	return best
}

// peakRSSGB is the process's peak resident set (VmHWM of /proc/self/status) in GB, 0 where
// /proc is not available.
func peakRSSGB() float64 {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err == nil {
				return kb * 1024 / 1e9
			}
		}
	}
	return 0
}

// BenchmarkObjectivePairs measures summary-conditioned pair scoring (one shared prefill, two
// continuations) with the cached reference, in pairs/s.
func BenchmarkObjectivePairs(b *testing.B) {
	f := getFixture(b)
	m := f.model(b, 1)
	obj, _ := NewObjective(m, m, f.Enc, prompt.Prompting{Family: data.FamilyELIX}, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	pairs := data.WorldPairs(f.World.Train[0].Pairs[:4])
	z := f.World.Train[0].Persona.Summary()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := obj.SummaryLoss(z, pairs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(pairs))/b.Elapsed().Seconds(), "pairs/s")
}
