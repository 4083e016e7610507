package serve

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/tensor"
)

// benchModel is the random-weight model of the engine benchmarks: "30m" by default,
// POPI_BENCH_SHAPE=1b for Llama-3.2-1B's shape (bf16 weights, ~2.5 GB, unless
// POPI_BENCH_DTYPE=f32); POPI_BENCH_BF16DOT=1 allows the bf16 dot product.
func benchModel(b *testing.B) *llama.Model {
	shape := os.Getenv("POPI_BENCH_SHAPE")
	if shape == "" {
		shape = "30m"
	}
	cfg, err := llama.ShapeConfig(shape)
	if err != nil {
		b.Fatal(err)
	}
	dt := tensor.F32
	if shape == "1b" && os.Getenv("POPI_BENCH_DTYPE") != "f32" {
		dt = tensor.BF16
	}
	m, err := llama.NewRandomAs(cfg, 1, dt)
	if err != nil {
		b.Fatal(err)
	}
	m.AllowBF16Dot = os.Getenv("POPI_BENCH_BF16DOT") == "1"
	return m
}

func randomPrompt(rng *rand.Rand, n, vocab int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = rng.IntN(vocab)
	}
	return p
}

// BenchmarkEngineDecode measures aggregate decode throughput of S concurrent streams
// (16-token prompts, 64 generated tokens each, greedy, no stop tokens) through the
// continuous-batching engine: tokens/s counts generated tokens over wall time.
func BenchmarkEngineDecode(b *testing.B) {
	m := benchModel(b)
	const gen = 64
	for _, streams := range []int{1, 4, 16} {
		b.Run(map[int]string{1: "streams=1", 4: "streams=4", 16: "streams=16"}[streams], func(b *testing.B) {
			e := NewEngine(m, EngineOptions{MaxBatch: 32, QueueSize: 64})
			defer e.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			ctx := context.Background()
			run := func() {
				jobs := make([]*Job, streams)
				for i := range jobs {
					jobs[i] = &Job{Prompt: randomPrompt(rng, 16, m.Config.Vocab), N: 1, MaxTokens: gen}
					if err := e.Submit(ctx, jobs[i]); err != nil {
						b.Fatal(err)
					}
				}
				for _, j := range jobs {
					for {
						_, done, err := j.Next(ctx)
						if err != nil {
							b.Fatal(err)
						}
						if done {
							break
						}
					}
				}
			}
			run() // warm-up: buffers, caches
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				run()
			}
			b.ReportMetric(float64(streams*gen*b.N)/time.Since(start).Seconds(), "tokens/s")
		})
	}
}

// BenchmarkEngineTTFT measures the time to the first token of a 128-token prompt through
// the engine (idle, one request) against the plain prefill of the same prompt with a
// llama.Runner (what cmd/generate does before its first token): ttft/prefill is the
// ratio the issue bounds by 1.2.
func BenchmarkEngineTTFT(b *testing.B) {
	m := benchModel(b)
	rng := rand.New(rand.NewPCG(3, 4))
	p := randomPrompt(rng, 128, m.Config.Vocab)
	r := m.NewRunner()
	prefill := func() time.Duration {
		t := time.Now()
		c := m.NewKVCache(len(p) + 1)
		b := []llama.Seq{{Cache: c, Tokens: p}}
		if err := r.Forward(b); err != nil {
			panic(err)
		}
		llama.Argmax(b[0].Logits)
		return time.Since(t)
	}
	e := NewEngine(m, EngineOptions{})
	defer e.Close()
	ctx := context.Background()
	ttft := func() time.Duration {
		t := time.Now()
		j := &Job{Prompt: p, N: 1, MaxTokens: 1}
		if err := e.Submit(ctx, j); err != nil {
			b.Fatal(err)
		}
		for {
			evs, done, err := j.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(evs) > 0 || done {
				break
			}
		}
		d := time.Since(t)
		for { // let the job end before the next one
			if _, done, _ := j.Next(ctx); done {
				break
			}
		}
		return d
	}
	prefill()
	ttft()
	b.ResetTimer()
	var pre, first []time.Duration
	for i := 0; i < b.N; i++ {
		pre = append(pre, prefill())
		first = append(first, ttft())
	}
	slices.Sort(pre)
	slices.Sort(first)
	mp, mf := pre[len(pre)/2], first[len(first)/2]
	b.ReportMetric(float64(mp.Microseconds())/1e3, "prefill-ms")
	b.ReportMetric(float64(mf.Microseconds())/1e3, "ttft-ms")
	b.ReportMetric(mf.Seconds()/mp.Seconds(), "ttft/prefill")
}
