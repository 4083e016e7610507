package popi

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// adapterParams concatenates a view's adapter matrices.
func adapterParams(m *llama.Model) []float32 {
	var out []float32
	for _, l := range m.Adapter().Layers {
		for _, w := range l {
			if w != nil {
				out = append(append(out, w.A...), w.B...)
			}
		}
	}
	return out
}

// newLoRAStage1 is newStage1 with πφ a view of base with a fresh adapter and πφ_ref the base
// without one.
func newLoRAStage1(t *testing.T, f *tinyFixture, base *llama.Model, cfg Stage1Config, lc LoRAConfig) *Stage1 {
	t.Helper()
	s := newStage1(t, f, base, cfg)
	phi, err := trainedModel(base, true, lc.Adapter("tiny"), 5)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := base.WithAdapter(nil)
	s.Policy, _ = NewLMPolicy(phi, f.Enc)
	s.Ref, _ = NewLMPolicy(ref, f.Enc)
	return s
}

// Stage 1 with LoRA (adapter dropout on) interrupted and resumed ends with bit-identical
// adapters and reward history; the checkpoint is a PEFT adapter (no model weights) with the
// optimizer state; the base is never touched.
func TestStage1LoRAResumeEqualsUninterrupted(t *testing.T) {
	f := getFixture(t)
	base := f.model(t, 7)
	before := modelParams(base)
	eps := fixtureEpisodes(t, f, false, 1)[:4]
	cfg := Stage1Config{Steps: 4, BatchSize: 2, GroupSize: 3, LR: 1e-2, Warmup: 1, Alpha: -1, Temperature: 1,
		MaxTokens: 8, RewardPairs: 2, Seed: 9, CheckpointEvery: 1}
	lc := LoRAConfig{Mode: LoRAOn, R: 4, Alpha: 8, Dropout: 0.2, Targets: []string{"q_proj", "v_proj", "down_proj"}}
	prompts, err := Stage1Prompts(f.Enc, prompt.Prompting{Family: data.FamilyELIX}, eps, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	runA, _ := OpenRun(filepath.Join(t.TempDir(), "a"), false, nil)
	defer runA.Close()
	sa := newLoRAStage1(t, f, base, cfg, lc)
	stA, err := sa.Run(ctx, runA, prompts, false)
	if err != nil || !stA.Done {
		t.Fatalf("uninterrupted: %v %+v", err, stA)
	}
	if stA.DropoutCalls == 0 {
		t.Fatal("adapter dropout drew no masks")
	}

	dirB := filepath.Join(t.TempDir(), "b")
	cctx, cancel := context.WithCancel(ctx)
	w := &cancelWriter{n: 2, cancel: cancel}
	runB, _ := OpenRun(dirB, false, w)
	if err := os.WriteFile(runB.Path("config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	sb := newLoRAStage1(t, f, base, cfg, lc)
	if st, err := sb.Run(cctx, runB, prompts, false); !errors.Is(err, context.Canceled) || st.Step != 2 {
		t.Fatalf("interrupted run: step %d, err %v", st.Step, err)
	}
	runB.Close()
	ckpt, ok := CheckpointDir(filepath.Join(dirB, "ckpt", "stage1"))
	if !ok {
		t.Fatal("no checkpoint after the interruption")
	}
	for _, name := range []string{llama.AdapterConfigFile, llama.AdapterWeightsFile, "optimizer.bin", "state.json"} {
		if !exists(filepath.Join(ckpt, name)) {
			t.Fatalf("checkpoint lacks %s", name)
		}
	}
	if exists(filepath.Join(ckpt, "model.safetensors")) {
		t.Fatal("a LoRA checkpoint holds the base model's weights")
	}
	if _, err := llama.LoadAdapter(ckpt, base.Config); err != nil {
		t.Fatalf("checkpoint adapter: %v", err)
	}
	runB2, err := OpenRun(dirB, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer runB2.Close()
	sb2 := newLoRAStage1(t, f, base, cfg, lc)
	stB, err := sb2.Run(ctx, runB2, prompts, true)
	if err != nil || !stB.Done {
		t.Fatalf("resumed: %v %+v", err, stB)
	}
	if !slices.Equal(adapterParams(sa.Policy.Model), adapterParams(sb2.Policy.Model)) {
		t.Fatal("resumed run's adapter differs from the uninterrupted run's")
	}
	if !slices.Equal(stA.History, stB.History) || stA.DropoutCalls != stB.DropoutCalls {
		t.Fatalf("history or dropout counter differs:\n%v %d\n%v %d", stA.History, stA.DropoutCalls, stB.History, stB.DropoutCalls)
	}
	fresh, _ := trainedModel(base, true, lc.Adapter("tiny"), 5)
	if slices.Equal(adapterParams(fresh), adapterParams(sa.Policy.Model)) {
		t.Fatal("training did not change the adapter")
	}
	if !slices.Equal(before, modelParams(base)) {
		t.Fatal("LoRA training changed the base weights")
	}
	// A full-model run cannot resume from an adapter checkpoint, and the reverse.
	runC, err := OpenRun(dirB, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer runC.Close()
	if _, err := newStage1(t, f, base, cfg).Run(ctx, runC, prompts, true); err == nil || !strings.Contains(err.Error(), "LoRA adapter") {
		t.Fatalf("full fine-tuning resumed from an adapter checkpoint: %v", err)
	}
}

// The whole pipeline with LoRA on the tiny model: every trained model is a PEFT adapter
// over the one base, the log says so, re-evaluation from the run directory (adapters loaded
// onto the base) reproduces the table, and an adapter merges into a plain model.
func TestPipelineLoRA(t *testing.T) {
	f := getFixture(t)
	cfg := tinyPipelineConfig(t, f)
	cfg.LoRA = LoRAConfig{Mode: LoRAOn, R: 4, Alpha: 8}
	cfg.Methods = "Base-Model,Inference-Prompting,POPI-Inference-Only,POPI-Full,Raw-Aligned"
	out := filepath.Join(t.TempDir(), "run")
	var log bytes.Buffer
	res, err := RunPipeline(context.Background(), cfg, out, false, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "LoRA: adapters r=4, lora_alpha=8") {
		t.Fatalf("log does not report LoRA:\n%s", log.String())
	}
	base, err := llama.Load(cfg.ModelDir, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"models/inference", "models/popi-full", "models/raw-aligned"} {
		dir := filepath.Join(out, d)
		a, err := llama.LoadAdapter(dir, base.Config)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if a.Config.R != 4 || a.Config.BaseModel != cfg.ModelDir {
			t.Fatalf("%s: adapter config %+v", d, a.Config)
		}
		if exists(filepath.Join(dir, "model.safetensors")) {
			t.Fatalf("%s holds full model weights", d)
		}
		if _, err := llama.LoadTokenizer(dir); err != nil {
			t.Fatalf("%s tokenizer: %v", d, err)
		}
		if _, err := llama.LoadMerged(cfg.ModelDir, dir, llama.LoadOptions{}); err != nil {
			t.Fatalf("%s merge: %v", d, err)
		}
	}
	// LoadBase (cmd/summarize, cmd/eval -inference) takes an adapter directory as its base
	// viewed with the adapter.
	v, tok, err := LoadBase(filepath.Join(out, "models", "inference"), "")
	if err != nil || v.Adapter() == nil || tok == nil {
		t.Fatalf("LoadBase of an adapter directory: %v", err)
	}
	if _, _, err := LoadBase(filepath.Join(out, "models", "missing"), ""); err == nil {
		t.Fatal("LoadBase of a missing directory")
	}
	rep, _, err := EvaluateRun(context.Background(), out, EvalRunOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Report.Runs {
		a, b := res.Report.Runs[i], rep.Runs[i]
		if a.Method != b.Method || *a.Acc != *b.Acc || *a.WinRate != *b.WinRate {
			t.Fatalf("re-evaluation from the adapters differs: %+v vs %+v", a, b)
		}
	}
}

// Bad LoRA settings are configuration errors before any work; full fine-tuning of a
// quantized base is refused with a message naming the LoRA flags.
func TestLoRAConfigErrors(t *testing.T) {
	for name, mut := range map[string]func(c *LoRAConfig){
		"mode":      func(c *LoRAConfig) { c.Mode = "maybe" },
		"rank":      func(c *LoRAConfig) { c.R = -1 },
		"alpha":     func(c *LoRAConfig) { c.Alpha = -2 },
		"dropout":   func(c *LoRAConfig) { c.Dropout = 1 },
		"target":    func(c *LoRAConfig) { c.Targets = []string{"qproj"} },
		"duplicate": func(c *LoRAConfig) { c.Targets = []string{"q_proj", "q_proj"} },
	} {
		c := DefaultPipelineConfig()
		mut(&c.LoRA)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: invalid LoRA config accepted", name)
		}
	}
	lc := DefaultLoRAConfig()
	if lc.Enabled(LoRAAutoParams-1) || !lc.Enabled(LoRAAutoParams) || (LoRAConfig{}).Enabled(1<<40) != true {
		t.Fatal("auto mode does not switch at LoRAAutoParams")
	}
	if (LoRAConfig{Mode: LoRAOn}).Enabled(10) != true || (LoRAConfig{Mode: LoRAOff}).Enabled(1<<40) {
		t.Fatal("on/off not honoured")
	}
	f := getFixture(t)
	q := f.model(t, 1).Clone()
	if err := q.Quantize(llama.MixQ8_0); err != nil {
		t.Fatal(err)
	}
	if _, err := trainedModel(q, false, lc.Adapter(""), 1); err == nil || !strings.Contains(err.Error(), "-lora") {
		t.Fatalf("full fine-tuning of a quantized base: %v", err)
	}
	if _, err := trainedModel(q, true, lc.Adapter(""), 1); err != nil {
		t.Fatalf("LoRA on a quantized base: %v", err)
	}
}

// QLoRA end to end: the pipeline on a quantized GGUF base file trains adapters on the
// frozen blocks (the base's weights stay quantized and unchanged); full fine-tuning of it
// is refused before any work.
func TestPipelineQLoRAOnGGUF(t *testing.T) {
	f := getFixture(t)
	gguf := filepath.Join(t.TempDir(), "base-q8_0.gguf")
	if err := llama.WriteGGUF(gguf, f.model(t, 3), f.Tok, llama.GGUFWriteOptions{WeightType: "q8_0"}); err != nil {
		t.Fatal(err)
	}
	cfg := tinyPipelineConfig(t, f)
	cfg.ModelDir = gguf
	cfg.Methods = "Base-Model,POPI-Inference-Only,POPI-Full"
	cfg.LoRA = LoRAConfig{Mode: LoRAOff}
	if _, err := RunPipeline(context.Background(), cfg, filepath.Join(t.TempDir(), "off"), false, nil); err == nil || !strings.Contains(err.Error(), "quantized") {
		t.Fatalf("full fine-tuning of a quantized base: %v", err)
	}
	cfg.LoRA = LoRAConfig{Mode: LoRAOn, R: 4, Alpha: 8}
	out := filepath.Join(t.TempDir(), "run")
	var log bytes.Buffer
	if _, err := RunPipeline(context.Background(), cfg, out, false, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "frozen Q8_0 base") {
		t.Fatalf("log does not report the quantized base:\n%s", log.String())
	}
	for _, d := range []string{"inference", "popi-full"} {
		v, _, err := LoadBase(filepath.Join(out, "models", d), "")
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if !v.Layers[0].Q.DType.IsQuant() {
			t.Fatalf("%s: base loaded as %v", d, v.Layers[0].Q.DType)
		}
		trained := false // B starts at zero: any non-zero B was learned
		for _, l := range v.Adapter().Layers {
			for _, w := range l {
				if w == nil {
					continue
				}
				for _, x := range w.B {
					trained = trained || x != 0
				}
			}
		}
		if !trained {
			t.Fatalf("%s: the adapter's B is still zero after training", d)
		}
	}
}
