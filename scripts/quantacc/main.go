// Command quantacc measures the accuracy of quantized models: perplexity of the tiny persona-world
// model (models/popi-tiny) on a fixed persona-world text as f32, Q8_0 and Q4_0 (q4_0 mix; the
// model's rows of 128 cannot hold 256-value K blocks, so q4_k_m would fall back to Q8_0), and
// for any GGUF the largest logit difference between popi-go and llama.cpp on the same file and
// between the quantized and a reference model.
//
//	go run ./scripts/quantacc -tiny models/popi-tiny -out DIR     # tiny PPL, writes GGUFs + tokens
//	go run ./scripts/quantacc -gguf F.gguf -ref R.gguf -llamacpp L.bin -tokens T.bin
//
// The first form writes DIR/tiny-{f32,q8_0,q4_0}.gguf and DIR/tiny.tokens.bin for
// scripts/quantacc/run.sh, which runs llama.cpp (scripts/llamacpp_logits.c) on them and calls the
// second form.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
)

func main() {
	tiny := flag.String("tiny", "", "tiny model directory: perplexity of f32/q8_0/q4_0")
	out := flag.String("out", "", "with -tiny: directory for the GGUFs and token file")
	gguf := flag.String("gguf", "", "a GGUF to compare: popi-go's logits on it")
	ref := flag.String("ref", "", "with -gguf: a reference GGUF (e.g. bf16) for popi-go")
	lc := flag.String("llamacpp", "", "with -gguf: llama.cpp's logits on the same file (llamacpp_logits.c)")
	tokens := flag.String("tokens", "", "token file (u32 count, int32 ids)")
	nTok := flag.Int("n", 64, "with -gguf and no -tokens: this many synthetic tokens")
	flag.Parse()
	switch {
	case *tiny != "":
		tinyPPL(*tiny, *out)
	case *gguf != "":
		compare(*gguf, *ref, *lc, *tokens, *nTok)
	default:
		log.Fatal("give -tiny or -gguf")
	}
}

// worldText is a fixed persona-world text: 6 held-out-seed examples rendered with the paper
// templates (user turns and assistant answers as plain text).
func worldText() string {
	w, err := world.New(world.Config{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	exs, err := w.Corpus(world.CorpusConfig{N: 6, Seed: 4242})
	if err != nil {
		log.Fatal(err)
	}
	chats, err := prompt.RenderWorldCorpus(exs, prompt.TemplatesPaper)
	if err != nil {
		log.Fatal(err)
	}
	var b strings.Builder
	for _, c := range chats {
		b.WriteString(c.Messages.System + "\n" + c.Messages.User + "\n" + c.Assistant + "\n\n")
	}
	return b.String()
}

// nll returns the mean next-token negative log-likelihood of toks: prefill (one batch) and
// decode (token by token, the integer-dot path for quantized weights).
func nll(m *llama.Model, toks []int) (prefill, decode float64) {
	r := m.NewRunner()
	c := m.NewKVCache(len(toks) + 1)
	s := []llama.Seq{{Cache: c, Tokens: toks[:len(toks)-1], AllLogits: true}}
	if err := r.Forward(s); err != nil {
		log.Fatal(err)
	}
	V := m.Config.Vocab
	for i := 0; i < len(toks)-1; i++ {
		prefill += -logProb(s[0].Logits[i*V:(i+1)*V], toks[i+1])
	}
	c2 := m.NewKVCache(len(toks) + 1)
	for i := 0; i < len(toks)-1; i++ {
		s := []llama.Seq{{Cache: c2, Tokens: toks[i : i+1]}}
		if err := r.Forward(s); err != nil {
			log.Fatal(err)
		}
		decode += -logProb(s[0].Logits, toks[i+1])
	}
	n := float64(len(toks) - 1)
	return prefill / n, decode / n
}

func logProb(l []float32, t int) float64 {
	mx := math.Inf(-1)
	for _, v := range l {
		mx = max(mx, float64(v))
	}
	var s float64
	for _, v := range l {
		s += math.Exp(float64(v) - mx)
	}
	return float64(l[t]) - mx - math.Log(s)
}

func tinyPPL(dir, out string) {
	m, err := llama.Load(dir, llama.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := llama.LoadTokenizer(dir)
	if err != nil {
		log.Fatal(err)
	}
	toks := tok.Encode(worldText(), true)
	if len(toks) > m.Config.MaxPositions {
		toks = toks[:m.Config.MaxPositions]
	}
	fmt.Printf("persona-world text: %d tokens\n", len(toks))
	for _, mix := range []string{"f32", "q8_0", "q4_0"} {
		q := m.Clone()
		if mix != "f32" {
			if err := q.Quantize(llama.QuantMix(mix)); err != nil {
				log.Fatal(err)
			}
		}
		p, d := nll(q, toks)
		fmt.Printf("tiny %-5s perplexity prefill %.4f decode %.4f (weights %.2f MB)\n", mix, math.Exp(p), math.Exp(d), float64(q.WeightBytes())/1e6)
		if out != "" {
			wt := mix
			if err := llama.WriteGGUF(filepath.Join(out, "tiny-"+mix+".gguf"), m, tok, llama.GGUFWriteOptions{WeightType: wt}); err != nil {
				log.Fatal(err)
			}
		}
	}
	if out != "" {
		writeTokens(filepath.Join(out, "tiny.tokens.bin"), toks)
	}
}

func writeTokens(path string, toks []int) {
	b := make([]byte, 4+4*len(toks))
	binary.LittleEndian.PutUint32(b, uint32(len(toks)))
	for i, t := range toks {
		binary.LittleEndian.PutUint32(b[4+4*i:], uint32(t))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

func readTokens(path string) []int {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(b))
	t := make([]int, n)
	for i := range t {
		t[i] = int(int32(binary.LittleEndian.Uint32(b[4+4*i:])))
	}
	return t
}

// prefillLogits returns all logit rows of one prefill of toks.
func prefillLogits(m *llama.Model, toks []int) []float32 {
	r := m.NewRunner()
	s := []llama.Seq{{Cache: m.NewKVCache(len(toks)), Tokens: toks, AllLogits: true}}
	if err := r.Forward(s); err != nil {
		log.Fatal(err)
	}
	return append([]float32(nil), s[0].Logits...)
}

func diff(a, b []float32) (maxd, rms, refRMS float64) {
	var sd, sr float64
	for i := range a {
		e := float64(a[i] - b[i])
		maxd = max(maxd, math.Abs(e))
		sd += e * e
		sr += float64(b[i]) * float64(b[i])
	}
	return maxd, math.Sqrt(sd / float64(len(a))), math.Sqrt(sr / float64(len(a)))
}

func compare(gguf, ref, lc, tokens string, n int) {
	m, err := llama.Load(gguf, llama.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	var toks []int
	if tokens != "" {
		toks = readTokens(tokens)
	} else {
		for i := 0; i < n; i++ {
			toks = append(toks, (i*7919+11)%m.Config.Vocab)
		}
	}
	ours := prefillLogits(m, toks)
	V := m.Config.Vocab
	ppl := func(l []float32) float64 {
		var s float64
		for i := 0; i+1 < len(toks); i++ {
			s += -logProb(l[i*V:(i+1)*V], toks[i+1])
		}
		return math.Exp(s / float64(len(toks)-1))
	}
	fmt.Printf("%s: %d tokens, popi-go perplexity %.4f\n", filepath.Base(gguf), len(toks), ppl(ours))
	if lc != "" {
		b, err := os.ReadFile(lc)
		if err != nil {
			log.Fatal(err)
		}
		rows, vocab := int(binary.LittleEndian.Uint32(b)), int(binary.LittleEndian.Uint32(b[4:]))
		if rows != len(toks) || vocab != V {
			log.Fatalf("llama.cpp logits %dx%d, want %dx%d", rows, vocab, len(toks), V)
		}
		l := make([]float32, rows*vocab)
		for i := range l {
			l[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[8+4*i:]))
		}
		mx, rms, rr := diff(ours, l)
		fmt.Printf("  vs llama.cpp on the same file: perplexity %.4f, max |logit diff| %.4g, RMS diff %.4g (logit RMS %.4g)\n", ppl(l), mx, rms, rr)
	}
	if ref != "" {
		r, err := llama.Load(ref, llama.LoadOptions{})
		if err != nil {
			log.Fatal(err)
		}
		rl := prefillLogits(r, toks)
		mx, rms, rr := diff(ours, rl)
		fmt.Printf("  vs popi-go on %s: perplexity %.4f, max |logit diff| %.4g, RMS diff %.4g (logit RMS %.4g)\n", filepath.Base(ref), ppl(rl), mx, rms, rr)
	}
}
