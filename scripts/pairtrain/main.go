// Command pairtrain times popi-go's training step (forward, cross-entropy, backward, AdamW on
// 8 x 256 tokens, f32, as llama's BenchmarkTrainStep) while taking turns step by step with
// PyTorch's step (scripts/torch_pair.py) through two FIFOs, so both are measured on the same
// machine state; scripts/pair_train.sh drives the pair.
//
//	go run ./scripts/pairtrain -shape 5m -steps 10 -in FIFO -out FIFO
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/tensor"
)

func main() {
	shape := flag.String("shape", "5m", "benchmark shape (llama.ShapeConfig)")
	steps := flag.Int("steps", 10, "timed steps (after 2 warm-up steps)")
	in := flag.String("in", "", "FIFO to wait on before each step (empty: no pairing)")
	out := flag.String("out", "", "FIFO to signal after each step")
	flag.Parse()
	if *steps < 1 {
		log.Fatal("-steps must be positive")
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
	m, err := llama.NewRandomAs(cfg, 1, tensor.F32)
	if err != nil {
		log.Fatal(err)
	}
	tm := m.Trainable()
	opt := nn.NewAdamW(nn.AdamWConfig{Beta1: 0.9, Beta2: 0.95}, nn.SplitDecay(tm.Params(), 0.1)...)
	const batch, seq = 8, 256
	ids := make([][]int, batch)
	for i := range ids {
		ids[i] = make([]int, seq)
		for j := range ids[i] {
			ids[i][j] = (i*7919 + j*104729) % cfg.Vocab
		}
	}
	fmt.Printf("popi-go: %s model built\n", *shape)
	var times []float64
	fmt.Printf("popi-go train step ms:")
	const warmup = 2
	for s := 0; s < warmup+*steps; s++ {
		if fin != nil {
			var b [1]byte
			if _, err := fin.Read(b[:]); err != nil {
				log.Fatal(err)
			}
		}
		t0 := time.Now()
		opt.ZeroGrad()
		loss, err := tm.NextTokenLoss(ids)
		if err != nil {
			log.Fatal(err)
		}
		if err := loss.Backward(); err != nil {
			log.Fatal(err)
		}
		if err := opt.Step(1e-4); err != nil {
			log.Fatal(err)
		}
		ms := float64(time.Since(t0).Microseconds()) / 1e3
		if fout != nil {
			if _, err := fout.Write([]byte{'x'}); err != nil {
				log.Fatal(err)
			}
		}
		if s >= warmup {
			times = append(times, ms)
			fmt.Printf(" %.0f", ms)
		}
	}
	sort.Float64s(times)
	med := times[len(times)/2]
	if len(times)%2 == 0 {
		med = (times[len(times)/2-1] + times[len(times)/2]) / 2
	}
	fmt.Printf("\nSUMMARY popi-go train step %s: %.1f ms (median of %d)\n", *shape, med, len(times))
}
