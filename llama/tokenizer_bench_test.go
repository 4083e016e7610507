package llama

import (
	"bytes"
	"math/rand"
	"testing"
)

// benchText is ~64 KiB of mixed English-like text with digits, punctuation and some
// non-Latin words, fixed by seed.
func benchText() []byte {
	rng := rand.New(rand.NewSource(3))
	words := []string{"the", "river", "baker", "lived", "quiet", "small", "town", "and", "of", "2024", "it's",
		"they'll", "Καλημέρα", "ёжик", "日本語", "🙂", "walk", "hills", "pack", "water", "(note)", "--", "\n\n"}
	var b bytes.Buffer
	for b.Len() < 64<<10 {
		b.WriteString(words[rng.Intn(len(words))])
		b.WriteByte(' ')
	}
	return b.Bytes()
}

// BenchmarkEncode measures encoding throughput of the tiny vocabulary (small vocab, so
// pieces need many merges) with the BPE cache warm after the first iteration.
func BenchmarkEncode(b *testing.B) {
	tk := tinyTokenizers(b)["tiktoken"]
	text := benchText()
	n := len(tk.EncodeBytes(text, false))
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tk.EncodeBytes(text, false)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkEncodeUncached measures BPE without the piece cache (a fresh tokenizer each time).
func BenchmarkEncodeUncached(b *testing.B) {
	tk := tinyTokenizers(b)["tiktoken"]
	text := benchText()
	n := len(tk.EncodeBytes(text, false))
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tk.mu.Lock()
		clear(tk.cache)
		tk.mu.Unlock()
		tk.EncodeBytes(text, false)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkTrainBPE trains a 1024-token vocabulary on ~256 KiB of text.
func BenchmarkTrainBPE(b *testing.B) {
	var corpus [][]byte
	for i := 0; i < 4; i++ {
		corpus = append(corpus, benchText())
	}
	for _, d := range trainCorpus() {
		corpus = append(corpus, d)
	}
	total := 0
	for _, d := range corpus {
		total += len(d)
	}
	b.SetBytes(int64(total))
	for i := 0; i < b.N; i++ {
		if _, err := TrainBPE(corpus, 1024, trainSpecials); err != nil {
			b.Fatal(err)
		}
	}
}
