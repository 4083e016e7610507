// Command export writes a LLaMA model as a GGUF file that llama.cpp loads
// (llama.WriteGGUF): either a Hugging Face model directory (or .gguf file)
// with its tokenizer, or a random-weight model of one of the benchmark
// shapes, for running llama.cpp on exactly the model our benchmarks use.
//
//	go run ./cmd/export -model DIR -o out.gguf [-dtype auto|f32|bf16|f16] [-quant q8_0|q4_0|q4_k_m] [-name NAME] [-adapter DIR]
//	go run ./cmd/export -model DIR -adapter DIR -format hf -o OUTDIR
//	go run ./cmd/export -random 1b|30m -o out.gguf [-dtype f32|bf16|f16] [-quant ...] [-seed 1]
//
// -quant stores the matrices in llama.cpp's block formats, quantized with
// its reference quantizers and, for q4_k_m, its Q4_K_M type mix (Q6_K for
// the output/tied embeddings and for attn_v and ffn_down in some layers):
// the bytes llama-quantize writes from the same weights (llama.QuantMix).
// With -random, -dtype is the type the random weights are drawn in first.
//
// -random builds the weights as llama's BenchmarkDecode/BenchmarkPrefill do
// (llama.NewRandomAs with seed 1 and the benchmark configs) and gives them a
// synthetic byte-level BPE vocabulary of the model's size (the 1b shape ends
// with the 256 Llama 3 special tokens at 128000..128255, as the real one:
// llama.SyntheticTokenizer). With -model, chat_template and eos_token come from the
// tokenizer_config.json beside the model (llama.ReadTokenizerConfig).
//
// -adapter merges a PEFT LoRA adapter directory into the -model weights
// (llama.LoadMerged: W + scale·B·A in f32, rounded once to a 16-bit stored
// type). -format hf writes a plain Hugging Face directory instead of GGUF
// (llama.SaveModelDir: config.json, model.safetensors, tokenizer files).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/tensor"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "export:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "Hugging Face model directory or .gguf file")
	random := fs.String("random", "", "random weights of a benchmark shape instead of -model: 1b or 30m")
	out := fs.String("o", "", "output .gguf path, or directory with -format hf (required)")
	dtype := fs.String("dtype", "auto", "stored matrix type: auto (keep; f32 for -random), f32, bf16 or f16")
	seed := fs.Uint64("seed", 1, "seed of -random weights (the benchmarks use 1)")
	name := fs.String("name", "", "general.name (default: the directory name, or popi-random-<shape>)")
	adapter := fs.String("adapter", "", "PEFT LoRA adapter directory to merge into -model")
	format := fs.String("format", "gguf", "output format: gguf (a .gguf file) or hf (a Hugging Face model directory)")
	quant := fs.String("quant", "", "quantize the matrices: q8_0, q4_0 or q4_k_m (llama.cpp's formats and Q4_K_M mix)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return errors.New("-o is required")
	}
	if *adapter != "" && *model == "" {
		return errors.New("-adapter needs -model")
	}
	if *format != "gguf" && *format != "hf" {
		return fmt.Errorf("unknown -format %q (want gguf or hf)", *format)
	}
	if *quant != "" && *format == "hf" {
		return errors.New("-quant writes GGUF block formats; it cannot be combined with -format hf")
	}
	if (*model == "") == (*random == "") {
		return errors.New("give exactly one of -model and -random")
	}
	start := time.Now()
	opts := llama.GGUFWriteOptions{WeightType: *dtype, Name: *name}
	if *quant != "" {
		mix, err := llama.ParseQuantMix(*quant)
		if err != nil {
			return err
		}
		if *model != "" && !strings.EqualFold(*dtype, "auto") {
			return errors.New("-quant and -dtype exclude each other with -model")
		}
		opts.WeightType = string(mix)
	}
	var (
		m   *llama.Model
		tok *llama.Tokenizer
		err error
	)
	if *random != "" {
		dt, err := randomDType(*dtype)
		if err != nil {
			return err
		}
		cfg, err := benchConfig(*random)
		if err != nil {
			return err
		}
		if m, err = llama.NewRandomAs(cfg, *seed, dt); err != nil {
			return err
		}
		if tok, err = llama.SyntheticTokenizer(cfg.Vocab); err != nil {
			return err
		}
		if opts.Name == "" {
			opts.Name = "popi-random-" + *random
		}
	} else {
		if *adapter != "" {
			m, err = llama.LoadMerged(*model, *adapter, llama.LoadOptions{})
		} else {
			m, err = llama.Load(*model, llama.LoadOptions{})
		}
		if err != nil {
			return err
		}
		if tok, err = llama.LoadTokenizer(*model); err != nil {
			return err
		}
		if opts.Name == "" {
			opts.Name = strings.TrimSuffix(filepath.Base(filepath.Clean(*model)), ".gguf")
		}
		tc, err := llama.ReadTokenizerConfig(*model)
		if err != nil {
			return err
		}
		opts.ChatTemplate, opts.EOSToken = tc.ChatTemplate, tc.EOSToken
	}
	if *format == "hf" {
		if err := writeHFDir(*out, m, tok, *dtype); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d layers, hidden %d, vocab %d in %.1fs\n",
			*out, m.Config.Layers, m.Config.Hidden, m.Config.Vocab, time.Since(start).Seconds())
		return nil
	}
	if err := llama.WriteGGUF(*out, m, tok, opts); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d layers, hidden %d, vocab %d, %.1f MB in %.1fs\n",
		*out, m.Config.Layers, m.Config.Hidden, m.Config.Vocab, float64(st.Size())/1e6, time.Since(start).Seconds())
	return nil
}

// writeHFDir writes m (its matrices converted to -dtype unless auto) and
// tok as a Hugging Face model directory.
func writeHFDir(dir string, m *llama.Model, tok *llama.Tokenizer, dtype string) error {
	if s := strings.ToLower(dtype); s != "" && s != "auto" {
		dt, err := randomDType(s)
		if err != nil {
			return err
		}
		if err := m.ConvertWeights(dt); err != nil {
			return err
		}
	}
	return llama.SaveModelDir(dir, m, tok, llama.SaveDirOptions{})
}

// randomDType maps -dtype to the type NewRandomAs builds (auto = f32).
func randomDType(s string) (tensor.DType, error) {
	switch strings.ToLower(s) {
	case "", "auto", "f32", "float32":
		return tensor.F32, nil
	case "bf16", "bfloat16":
		return tensor.BF16, nil
	case "f16", "float16":
		return tensor.F16, nil
	}
	return 0, fmt.Errorf("unknown -dtype %q (want auto, f32, bf16 or f16)", s)
}

// benchConfig returns the model shapes of llama's benchmarks.
func benchConfig(shape string) (*llama.Config, error) {
	if shape != "1b" && shape != "30m" {
		return nil, fmt.Errorf("unknown -random shape %q (want 1b or 30m)", shape)
	}
	return llama.ShapeConfig(shape)
}
