package popi

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/popi-go/popi/rl"
)

// BenchmarkRewardScoring is the reward-scoring phase of BenchmarkStage1Step alone, on the
// 1b shape (random bf16 weights, synthetic 128k vocabulary): Stage 1's reward of one user's
// group of 4 summaries (random token text of 48 tokens, as a random policy samples) over 4
// target pairs, against the prefill of one 512-token prompt in the same process. Each
// iteration uses a fresh objective (the reference log-probs are scored inside the reward,
// as in the first step of a run). Reported: reward tokens/s (the generator's tokens,
// tokens_reward), prefill tokens/s and their ratio (issue 13 target: >= 0.8), the ratio of
// a second reward of the same group with the reference log-probs cached (warm/prefill), and
// the prefill of 128- and 256-token prompts.
//
//	flock /tmp/popi-heavy.lock go test -run '^$' -bench 'RewardScoring' -benchtime 1x ./popi
func BenchmarkRewardScoring(b *testing.B) {
	if testing.Short() {
		b.Skip("paper-scale shape is not run with -short")
	}
	base, tok, enc, p, prompts := scaleSetup(b, "1b", 1)
	defer heapForWeights(base.WeightBytes())() // as Pipeline.Run does
	rng := rand.New(rand.NewPCG(7, 7))
	cs := make([]rl.Completion, 4)
	for i := range cs {
		ids := make([]int, 48)
		for j := range ids {
			ids[j] = rng.IntN(128000)
		}
		text, err := tok.Decode(ids)
		if err != nil {
			b.Fatal(err)
		}
		cs[i] = rl.Completion{IDs: ids, Text: strings.ToValidUTF8(string(text), "?")}
	}
	prefill := prefillTokensPerSec(b, base, 512)
	var p128, p256 float64
	var secs, warm, ref float64
	var tokens int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		obj, err := NewObjective(base, base, enc, p, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if _, err := summaryReward(obj, nil)(context.Background(), prompts[0], cs); err != nil {
			b.Fatal(err)
		}
		secs += time.Since(t0).Seconds()
		tokens += obj.GeneratorTokens()
		// Again with the reference log-probs cached: the generator's work alone.
		t0 = time.Now()
		if _, err := summaryReward(obj, nil)(context.Background(), prompts[0], cs); err != nil {
			b.Fatal(err)
		}
		warm += time.Since(t0).Seconds()
		// The reference scoring alone (a fresh objective, nothing else).
		obj, _ = NewObjective(base, base, enc, p, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
		t0 = time.Now()
		for _, pp := range prompts[0].Data.(*stage1Data).Pairs {
			if _, _, err := obj.Reference(pp); err != nil {
				b.Fatal(err)
			}
		}
		ref += time.Since(t0).Seconds()
	}
	b.StopTimer()
	p128, p256 = prefillTokensPerSec(b, base, 128), prefillTokensPerSec(b, base, 256)
	prefill = max(prefill, prefillTokensPerSec(b, base, 512))
	n := float64(b.N)
	r := float64(tokens) / secs
	b.ReportMetric(p128, "prefill128-tokens/s")
	b.ReportMetric(p256, "prefill256-tokens/s")
	b.ReportMetric(float64(tokens)/n, "tokens")
	b.ReportMetric(secs/n, "reward-s")
	b.ReportMetric(warm/n, "warm-s")
	b.ReportMetric(ref/n, "ref-s")
	b.ReportMetric(prefill, "prefill-tokens/s")
	b.ReportMetric(r, "reward-tokens/s")
	b.ReportMetric(r/prefill, "reward/prefill")
	b.ReportMetric(float64(tokens)/warm/prefill, "warm/prefill")
}
