package tinybase

import (
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
)

// BenchmarkPretrainStep measures training throughput of the committed recipe's
// architecture on real corpus batches (tokens/s, padding excluded).
func BenchmarkPretrainStep(b *testing.B) {
	c := DefaultConfig()
	c.Examples = 512
	_, chats, kinds, err := Corpus(&c)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := TrainTokenizer(chats, 512, c.VocabSize)
	if err != nil {
		b.Fatal(err)
	}
	seqs, err := encodeCorpus(tok, chats, kinds, float32(c.PromptWeight), c.MaxPositions, 1)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := c.ModelConfig(tok)
	if err != nil {
		b.Fatal(err)
	}
	m, err := llama.NewRandom(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr := m.Trainable()
	opt := nn.NewAdamW(nn.AdamWConfig{}, nn.SplitDecay(tr.Params(), c.WeightDecay)...)
	pad, _ := tok.SpecialID("<|finetune_right_pad_id|>")
	bt := newBatcher(seqs, c.Batch, 1)
	var tokens int64
	b.ResetTimer()
	for range b.N {
		idx := bt.next()
		if _, _, _, err := pretrainStep(tr, opt, seqs, idx, pad, 1e-4, c.Clip); err != nil {
			b.Fatal(err)
		}
		for _, i := range idx {
			tokens += int64(len(seqs[i].ids))
		}
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}
