// Command pairdecode times popi-go's batch-1 decode on a random-weight model of a benchmark
// shape, taking turns with llama.cpp's runner (scripts/llamacpp_bench.c) rep by rep through two
// FIFOs, so both are measured on the same machine state; scripts/pair_decode.sh drives the pair.
// Each rep: a 16-token prompt into an empty cache (untimed), then -tokens greedy steps (timed),
// as the C runner does.
//
//	go run ./scripts/pairdecode -shape 1b -dtype bf16 -tokens 64 -reps 10 -in FIFO -out FIFO
//
// -gguf FILE runs the model of a GGUF file instead (quantized files stay quantized), the one
// llama.cpp runs, with -dtype only naming it in the summary.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/tensor"
)

func main() {
	shape := flag.String("shape", "1b", "benchmark shape (llama.ShapeConfig)")
	dtype := flag.String("dtype", "bf16", "weight type: f32 or bf16 (a label with -gguf)")
	gguf := flag.String("gguf", "", "load this GGUF file instead of building random weights")
	prefill := flag.Int("prefill", 0, "also time prefills of this many tokens (reps, unpaired) after the decode reps")
	bf16dot := flag.Bool("bf16-dot", false, "Model.AllowBF16Dot (bf16 dot-product GEMM for bf16 and quantized-panel prefill)")
	tokens := flag.Int("tokens", 64, "decode steps per rep")
	reps := flag.Int("reps", 10, "timed reps (after one warm-up rep)")
	in := flag.String("in", "", "FIFO to wait on before each rep (empty: no pairing)")
	out := flag.String("out", "", "FIFO to signal after each rep")
	flag.Parse()
	var dt tensor.DType
	switch {
	case *gguf != "":
	case *dtype == "f32":
		dt = tensor.F32
	case *dtype == "bf16":
		dt = tensor.BF16
	default:
		log.Fatalf("unknown -dtype %q (want f32 or bf16)", *dtype)
	}
	if *tokens < 1 || *reps < 1 {
		log.Fatal("-tokens and -reps must be positive")
	}
	cfg, err := llama.ShapeConfig(*shape)
	if err != nil {
		log.Fatal(err)
	}
	var fin, fout *os.File
	if *in != "" || *out != "" {
		if fin, err = os.OpenFile(*in, os.O_RDWR, 0); err != nil {
			log.Fatal(err)
		}
		if fout, err = os.OpenFile(*out, os.O_RDWR, 0); err != nil {
			log.Fatal(err)
		}
	}
	t0 := time.Now()
	var m *llama.Model
	if *gguf != "" {
		m, err = llama.Load(*gguf, llama.LoadOptions{})
		if err == nil {
			cfg = m.Config
		}
	} else {
		m, err = llama.NewRandomAs(cfg, 1, dt)
	}
	if err != nil {
		log.Fatal(err)
	}
	m.AllowBF16Dot = *bf16dot
	fmt.Printf("popi-go: %s %s model built in %.1fs\n", *shape, *dtype, time.Since(t0).Seconds())
	r := m.NewRunner()
	c := m.NewKVCache(16 + *tokens + 1)
	prompt := make([]int, 16)
	for i := range prompt {
		prompt[i] = (i*7919 + 11) % cfg.Vocab
	}
	var rates []float64
	fmt.Printf("popi-go decode %d:", *tokens)
	for rep := 0; rep <= *reps; rep++ {
		if fin != nil {
			var b [1]byte
			if _, err := fin.Read(b[:]); err != nil {
				log.Fatal(err)
			}
		}
		c.Truncate(0)
		batch := []llama.Seq{{Cache: c, Tokens: prompt}}
		if err := r.Forward(batch); err != nil {
			log.Fatal(err)
		}
		tok := []int{llama.Argmax(batch[0].Logits)}
		a := time.Now()
		for range *tokens {
			batch[0].Tokens = tok
			if err := r.Forward(batch); err != nil {
				log.Fatal(err)
			}
			tok[0] = llama.Argmax(batch[0].Logits)
		}
		rate := float64(*tokens) / time.Since(a).Seconds()
		if fout != nil {
			if _, err := fout.Write([]byte{'x'}); err != nil {
				log.Fatal(err)
			}
		}
		if rep > 0 {
			rates = append(rates, rate)
			fmt.Printf(" %.2f", rate)
		}
	}
	sort.Float64s(rates)
	med := rates[len(rates)/2]
	if len(rates)%2 == 0 {
		med = (rates[len(rates)/2-1] + rates[len(rates)/2]) / 2
	}
	fmt.Printf(" tok/s\nSUMMARY popi-go %s-%s decode %d: %.2f tok/s (median of %d)\n", *shape, *dtype, *tokens, med, len(rates))
	if *prefill > 0 {
		pc := m.NewKVCache(*prefill)
		toks := make([]int, *prefill)
		for i := range toks {
			toks[i] = (i*7919 + 11) % cfg.Vocab
		}
		var pr []float64
		fmt.Printf("popi-go prefill %d:", *prefill)
		for rep := 0; rep <= *reps; rep++ {
			pc.Truncate(0)
			a := time.Now()
			if err := r.Forward([]llama.Seq{{Cache: pc, Tokens: toks}}); err != nil {
				log.Fatal(err)
			}
			if rep > 0 {
				pr = append(pr, float64(*prefill)/time.Since(a).Seconds())
				fmt.Printf(" %.1f", pr[len(pr)-1])
			}
		}
		sort.Float64s(pr)
		fmt.Printf(" tok/s\nSUMMARY popi-go %s-%s prefill %d: %.1f tok/s (median of %d)\n", *shape, *dtype, *prefill, pr[len(pr)/2], len(pr))
	}
}
