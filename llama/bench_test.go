package llama

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/tensor"
)

// Benchmark models. The 1B-shaped model (5 GB in f32) is only ever built
// inside benchmark functions, so a plain `go test` never allocates it.

func llama1BConfig() *Config { return mustShape("1b") }

// presetConfig returns the PyTorch reference presets ("5m", "30m").
func presetConfig(name string) *Config { return mustShape(name) }

func mustShape(name string) *Config {
	c, err := ShapeConfig(name)
	if err != nil {
		panic(err)
	}
	return c
}

var benchModels = map[string]*Model{}

// benchModel returns a random model of the named shape stored as dt,
// dropping any other cached model first (memory is shared by the team).
func benchModel(b *testing.B, shape string, dt tensor.DType) *Model {
	key := fmt.Sprintf("%s/%v", shape, dt)
	if m, ok := benchModels[key]; ok {
		return m
	}
	clear(benchModels)
	runtime.GC()
	cfg := presetConfig(shape)
	if shape == "1b" {
		cfg = llama1BConfig()
	}
	b.StopTimer()
	m, err := NewRandomAs(cfg, 1, dt)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	b.StartTimer()
	benchModels[key] = m
	return m
}

// benchVariant is a weight type plus the bf16 dot-product switch
// (Model.AllowBF16Dot): "BF16dot" rounds activations to bf16 like
// llama.cpp's BF16 path does.
type benchVariant struct {
	name string
	dt   tensor.DType
	dot  bool
}

func benchVariants() []benchVariant {
	return []benchVariant{{"BF16", tensor.BF16, false}, {"BF16dot", tensor.BF16, true}, {"F32", tensor.F32, false}}
}

// BenchmarkDecode measures batch-1 greedy-style decoding with a KV cache:
// one token per iteration, the context cycling between 16 and 144 tokens.
func BenchmarkDecode(b *testing.B) {
	for _, shape := range []string{"1b", "30m"} {
		for _, v := range benchVariants() {
			b.Run(fmt.Sprintf("%s/%s", shape, v.name), func(b *testing.B) {
				m := benchModel(b, shape, v.dt)
				m.AllowBF16Dot = v.dot
				r := m.NewRunner()
				prompt := make([]int, 16)
				for i := range prompt {
					prompt[i] = (i * 7919) % m.Config.Vocab
				}
				c := m.NewKVCache(256)
				batch := []Seq{{Cache: c, Tokens: prompt}}
				if err := r.Forward(batch); err != nil {
					b.Fatal(err)
				}
				tok := []int{Argmax(batch[0].Logits)}
				b.ResetTimer()
				cpu := startCPU()
				for range b.N {
					if c.Len() >= 144 {
						c.Truncate(16)
					}
					batch[0].Tokens = tok
					if err := r.Forward(batch); err != nil {
						b.Fatal(err)
					}
					tok[0] = Argmax(batch[0].Logits)
				}
				cpu.report(b, 1, "tokens")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}

// BenchmarkPrefill measures prompt processing of 128 and 512 tokens into
// an empty cache (last-token logits only).
func BenchmarkPrefill(b *testing.B) {
	for _, shape := range []string{"1b", "30m"} {
		for _, v := range benchVariants() {
			for _, n := range []int{128, 512} {
				b.Run(fmt.Sprintf("%s/%s/%d", shape, v.name, n), func(b *testing.B) {
					m := benchModel(b, shape, v.dt)
					m.AllowBF16Dot = v.dot
					r := m.NewRunner()
					ids := make([]int, n)
					for i := range ids {
						ids[i] = (i*7919 + 13) % m.Config.Vocab
					}
					c := m.NewKVCache(n)
					batch := []Seq{{Cache: c, Tokens: ids}}
					b.ResetTimer()
					cpu := startCPU()
					for range b.N {
						c.Reset()
						if err := r.Forward(batch); err != nil {
							b.Fatal(err)
						}
					}
					cpu.report(b, float64(n), "tokens")
					b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tokens/s")
				})
			}
		}
	}
}

// The training-step workload of torch_tiny_llama.py: batch 8 x 256 tokens.
const trainBatch, trainSeq = 8, 256

// trainStepSetup returns the f32 model of shape with its AdamW optimizer (weight
// decay on matrices) and a fixed batch of token ids.
func trainStepSetup(b *testing.B, shape string) (*Trainable, *nn.AdamW, [][]int) {
	m := benchModel(b, shape, tensor.F32)
	tm := m.Trainable()
	opt := nn.NewAdamW(nn.AdamWConfig{Beta1: 0.9, Beta2: 0.95}, nn.SplitDecay(tm.Params(), 0.1)...)
	ids := make([][]int, trainBatch)
	for i := range ids {
		ids[i] = make([]int, trainSeq)
		for j := range ids[i] {
			ids[i][j] = (i*7919 + j*104729) % m.Config.Vocab
		}
	}
	return tm, opt, ids
}

// BenchmarkTrainStep measures one pretraining step (forward, cross-entropy,
// backward, AdamW) on a batch of 8 x 256 tokens, f32.
func BenchmarkTrainStep(b *testing.B) {
	for _, shape := range []string{"5m", "30m"} {
		b.Run(shape, func(b *testing.B) {
			tm, opt, ids := trainStepSetup(b, shape)
			runTrainSteps(b, tm, opt, ids)
		})
	}
}

// runTrainSteps times b.N steps of next-token loss, backward and AdamW (lr 1e-4) on ids and
// reports CPU use, ms/step and tokens/s.
func runTrainSteps(b *testing.B, tm *Trainable, opt *nn.AdamW, ids [][]int) {
	tokens := 0
	for _, s := range ids {
		tokens += len(s)
	}
	b.ResetTimer()
	cpu := startCPU()
	for range b.N {
		opt.ZeroGrad()
		loss, err := tm.NextTokenLoss(ids)
		if err != nil {
			b.Fatal(err)
		}
		if err := loss.Backward(); err != nil {
			b.Fatal(err)
		}
		if err := opt.Step(1e-4); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, float64(tokens), "tokens")
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec*1e3, "ms/step")
	b.ReportMetric(float64(tokens)/sec, "tokens/s")
}

// BenchmarkDecodeBatch measures decoding 8 sequences together (GRPO-style
// group sampling): one weight pass serves all 8 tokens of a step.
func BenchmarkDecodeBatch(b *testing.B) {
	for _, shape := range []string{"1b", "30m"} {
		for _, v := range benchVariants() {
			b.Run(fmt.Sprintf("%s/%s/8", shape, v.name), func(b *testing.B) {
				m := benchModel(b, shape, v.dt)
				m.AllowBF16Dot = v.dot
				r := m.NewRunner()
				const G = 8
				prompt := make([]int, 16)
				for i := range prompt {
					prompt[i] = (i * 7919) % m.Config.Vocab
				}
				base := m.NewKVCache(256)
				if err := r.Forward([]Seq{{Cache: base, Tokens: prompt}}); err != nil {
					b.Fatal(err)
				}
				batch := make([]Seq, G)
				toks := make([][1]int, G)
				for g := range batch {
					toks[g][0] = g + 1
					batch[g] = Seq{Cache: base.Clone(200), Tokens: toks[g][:]}
				}
				b.ResetTimer()
				cpu := startCPU()
				for range b.N {
					for g := range batch {
						if batch[g].Cache.Len() >= 144 {
							batch[g].Cache.Truncate(16)
						}
					}
					if err := r.Forward(batch); err != nil {
						b.Fatal(err)
					}
					for g := range batch {
						toks[g][0] = Argmax(batch[g].Logits)
					}
				}
				cpu.report(b, G, "tokens")
				b.ReportMetric(float64(G*b.N)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}
