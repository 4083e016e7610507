// Command generate streams a continuation of a prompt from a Hugging Face
// format LLaMA-3 model directory (config.json, model.safetensors or a
// sharded index, tokenizer.json or tokenizer.model) or a .gguf file.
//
//	go run ./cmd/generate -model DIR -prompt "..." [-chat] [-system S] [-temp T]
//	    [-top-p P] [-top-k K] [-max-tokens N] [-seed S] [-weights auto|f32|bf16|f16]
//	    [-bf16-dot] [-stats] [-adapter DIR]
//
// With -chat the prompt is one user message rendered with the Llama 3.2
// Instruct template (generation prompt added); otherwise it is BOS plus the
// plain text. Generation stops at the config's eos ids or after -max-tokens.
// -temp 0 is greedy decoding. -adapter runs a PEFT LoRA adapter directory
// (adapter_config.json, adapter_model.safetensors) on the model, unmerged.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/popi-go/popi/llama"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model directory or .gguf file (required)")
	prompt := fs.String("prompt", "", "prompt text")
	chat := fs.Bool("chat", false, "render the prompt as a user turn of the Llama 3.2 chat template")
	system := fs.String("system", "", "system message (with -chat)")
	temp := fs.Float64("temp", 0.6, "sampling temperature (0 = greedy)")
	topP := fs.Float64("top-p", 0.9, "nucleus sampling mass (1 = off)")
	topK := fs.Int("top-k", 0, "keep the K most likely tokens (0 = off)")
	maxTokens := fs.Int("max-tokens", 256, "maximum number of generated tokens")
	seed := fs.Uint64("seed", 0, "sampling seed")
	weights := fs.String("weights", "auto", "in-memory weight type: auto (keep the file's, quantized GGUF blocks included), f32, bf16, f16, q8_0, q4_0 or q4_k_m")
	bf16dot := fs.Bool("bf16-dot", false, "let bf16 weights use the bf16 dot-product instructions (faster, activations rounded to bf16)")
	stats := fs.Bool("stats", false, "print timing to stderr")
	adapter := fs.String("adapter", "", "PEFT LoRA adapter directory to apply")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *model == "" {
		return errors.New("-model is required")
	}
	start := time.Now()
	m, err := llama.Load(*model, llama.LoadOptions{WeightType: *weights, AllowBF16Dot: *bf16dot})
	if err != nil {
		return err
	}
	if *adapter != "" {
		a, err := llama.LoadAdapter(*adapter, m.Config)
		if err != nil {
			return err
		}
		if m, err = m.WithAdapter(a); err != nil {
			return err
		}
	}
	tok, err := llama.LoadTokenizer(*model)
	if err != nil {
		return err
	}
	if tok.VocabSize() > m.Config.Vocab {
		return fmt.Errorf("tokenizer has %d tokens but the model only %d", tok.VocabSize(), m.Config.Vocab)
	}
	var ids []int
	if *chat {
		ids = tok.EncodeChat(llama.PromptMessages(*system, *prompt), llama.ChatOptions{AddGenerationPrompt: true})
	} else {
		if m.Config.BOS >= 0 {
			ids = append(ids, m.Config.BOS)
		}
		ids = append(ids, tok.Encode(*prompt, false)...)
	}
	if len(ids) == 0 {
		return errors.New("empty prompt (and the model has no BOS token)")
	}
	loaded := time.Now()

	dec := tok.NewStreamDecoder()
	var werr error
	opts := llama.GenerateOptions{
		SampleOptions: llama.SampleOptions{Temperature: *temp, TopK: *topK, TopP: *topP},
		MaxTokens:     *maxTokens,
		Seed:          *seed,
		Stream: func(_, t int) bool {
			if m.Config.IsEOS(t) {
				return true
			}
			b, err := dec.Add(t)
			if err == nil {
				_, err = stdout.Write(b)
			}
			if err != nil {
				werr = err
				return false
			}
			return true
		},
	}
	c, err := m.Generate(ids, opts)
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	if _, err := stdout.Write(dec.Flush()); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if *stats {
		gen := time.Since(loaded)
		fmt.Fprintf(stderr, "load %.2fs, prompt %d tokens, generated %d tokens (%s) in %.2fs, %.1f tokens/s\n",
			loaded.Sub(start).Seconds(), len(ids), len(c.Tokens), c.Finish, gen.Seconds(), float64(len(c.Tokens))/gen.Seconds())
	}
	return nil
}
