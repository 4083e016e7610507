package popi

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
)

// LoRA in the pipeline: with LoRA on, POPI's models are views of one frozen base in memory
// (llama.Model.WithAdapter): the summary writer πφ is base + its adapter, its reference
// πφ_ref the base with no adapter, and every generator the base itself (frozen, Stage 1 and
// the unaligned methods) or base + its own adapter (Stage 2 and the aligned baselines).
// Only adapters get gradients and AdamW state; checkpoints and final models are PEFT adapter
// directories (adapter_config.json, adapter_model.safetensors), which cmd/export -adapter
// merges into the base and cmd/generate -adapter runs.

// LoRA modes of LoRAConfig.Mode.
const (
	LoRAAuto = "auto" // LoRA for bases of at least LoRAAutoParams parameters, full fine-tuning below
	LoRAOn   = "on"
	LoRAOff  = "off"
)

// LoRAAutoParams is the base size (parameters) from which Mode "auto" trains adapters:
// above it full fine-tuning needs float32 weights, gradients and two AdamW moments per
// model (about 16 bytes a parameter, ~20 GB for a 1B model), which one CPU box does not
// hold. The built-in tiny model (about 1M parameters) is fully fine-tuned.
const LoRAAutoParams = 100_000_000

// LoRAConfig configures the adapters (PEFT's LoraConfig) of the trained models.
type LoRAConfig struct {
	// Mode is auto (the default, also when empty), on or off.
	Mode string `json:"mode,omitempty"`
	// R is the rank, Alpha lora_alpha (the adapter output is scaled by Alpha/R), Dropout
	// lora_dropout (PEFT's default 0; masks are drawn per forward pass from the run's seed).
	R       int     `json:"r,omitempty"`
	Alpha   float64 `json:"alpha,omitempty"`
	Dropout float64 `json:"dropout,omitempty"`
	// Targets are the adapted projections (PEFT target_modules: q_proj, k_proj, v_proj,
	// o_proj, gate_proj, up_proj, down_proj); empty: all seven.
	Targets []string `json:"targets,omitempty"`
}

// DefaultLoRAConfig is the adapter configuration of a run that does not set one: rank 16,
// lora_alpha 32 (scale 2), no dropout, all seven projections, LoRA above LoRAAutoParams.
func DefaultLoRAConfig() LoRAConfig { return LoRAConfig{Mode: LoRAAuto, R: 16, Alpha: 32} }

// Validate reports a bad adapter configuration (mode, rank, alpha, dropout, target names).
func (c LoRAConfig) Validate() error {
	switch c.Mode {
	case "", LoRAAuto, LoRAOn, LoRAOff:
	default:
		return fmt.Errorf("popi: unknown LoRA mode %q (want auto, on or off)", c.Mode)
	}
	r, alpha := c.withDefaults()
	if r < 1 || r > 1<<16 {
		return fmt.Errorf("popi: LoRA rank %d, want 1..65536", r)
	}
	if math.IsNaN(alpha) || math.IsInf(alpha, 0) || alpha <= 0 {
		return fmt.Errorf("popi: lora_alpha %v, want a positive number", alpha)
	}
	if !(c.Dropout >= 0 && c.Dropout < 1) {
		return fmt.Errorf("popi: lora_dropout %v, want 0 <= p < 1", c.Dropout)
	}
	seen := map[string]bool{}
	for _, t := range c.Targets {
		if !slices.Contains(llama.LoRATargets[:], t) {
			return fmt.Errorf("popi: unknown LoRA target %q (want some of %s)", t, strings.Join(llama.LoRATargets[:], ", "))
		}
		if seen[t] {
			return fmt.Errorf("popi: LoRA target %q listed twice", t)
		}
		seen[t] = true
	}
	return nil
}

// withDefaults returns the rank and alpha that run (zero: the defaults).
func (c LoRAConfig) withDefaults() (int, float64) {
	d := DefaultLoRAConfig()
	r, alpha := c.R, c.Alpha
	if r == 0 {
		r = d.R
	}
	if alpha == 0 {
		alpha = d.Alpha
	}
	return r, alpha
}

// Enabled reports whether a base with params parameters trains adapters under c.
func (c LoRAConfig) Enabled(params int64) bool {
	switch c.Mode {
	case LoRAOn:
		return true
	case LoRAOff:
		return false
	}
	return params >= LoRAAutoParams
}

// Adapter returns the llama adapter configuration, base_model_name_or_path set to base.
func (c LoRAConfig) Adapter(base string) llama.AdapterConfig {
	r, alpha := c.withDefaults()
	return llama.AdapterConfig{R: r, Alpha: alpha, Dropout: c.Dropout, Targets: slices.Clone(c.Targets), BaseModel: base}
}

// adapterView returns a view of base with a fresh adapter (B = 0, A drawn from seed).
func adapterView(base *llama.Model, ac llama.AdapterConfig, seed uint64) (*llama.Model, error) {
	a, err := llama.NewAdapter(base.Config, ac, seed)
	if err != nil {
		return nil, err
	}
	return base.WithAdapter(a)
}

// trainedModel returns the model a training phase updates: a view of base with a fresh
// adapter seeded by seed when lora is set, else a full copy of base. A quantized base
// cannot be fully fine-tuned (its matrices are frozen blocks): that is an error naming the
// LoRA flags.
func trainedModel(base *llama.Model, lora bool, ac llama.AdapterConfig, seed uint64) (*llama.Model, error) {
	if lora {
		return adapterView(base, ac, seed)
	}
	if quantized(base) {
		return nil, fmt.Errorf("popi: the base model is quantized (%s): full fine-tuning cannot update its blocks; train LoRA adapters (-lora on or auto)", base.Layers[0].Q.DType)
	}
	return CloneModel(base), nil
}

// quantized reports whether the model's matrices are in a quantized block format.
func quantized(m *llama.Model) bool {
	return len(m.Layers) > 0 && m.Layers[0].Q.DType.IsQuant()
}

// SaveTrainedModel writes a trained model to dir: a view with an adapter as a PEFT adapter
// directory (adapter_config.json, adapter_model.safetensors) plus the tokenizer files, any
// other model as a Hugging Face model directory. The directory is replaced as a whole
// (atomicfile.ReplaceDir).
func SaveTrainedModel(dir string, m *llama.Model, tok *llama.Tokenizer) error {
	a := m.Adapter()
	if a == nil {
		return llama.SaveModelDir(dir, m, tok, llama.SaveDirOptions{})
	}
	if err := a.CheckFinite(); err != nil {
		return fmt.Errorf("popi: save %s: %w", dir, err)
	}
	return atomicfile.ReplaceDir(dir, func(tmp string) error {
		if err := a.Save(tmp); err != nil {
			return err
		}
		if tok != nil {
			return tok.SaveHF(tmp)
		}
		return nil
	})
}

// isAdapterDir reports whether dir holds a PEFT adapter.
func isAdapterDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, llama.AdapterConfigFile))
	return err == nil
}

// logLoRA reports the run's training mode, and refuses full fine-tuning of a quantized
// base before any work.
func (p *pipeline) logLoRA() error {
	c := &p.plan.Config
	if !p.lora {
		if quantized(p.base) {
			return fmt.Errorf("popi: the base model is quantized (%s): full fine-tuning cannot update its blocks; train LoRA adapters (-lora on or auto)", p.base.Layers[0].Q.DType)
		}
		return nil
	}
	ac := c.LoRA.Adapter(c.ModelDir)
	targets := strings.Join(ac.Targets, ",")
	if targets == "" {
		targets = "all seven projections"
	}
	p.run.Logf("LoRA: adapters r=%d, lora_alpha=%g, lora_dropout=%g on %s of the frozen %s base (%.2f GB of weights, one copy for πφ, πφ_ref and every generator)\n",
		ac.R, ac.Alpha, ac.Dropout, targets, p.base.Layers[0].Q.DType, float64(p.base.WeightBytes())/1e9)
	for _, lr := range []struct {
		name string
		v    float64
		on   bool
	}{{"stage 1", c.Stage1.LR, true}, {"stage 2", c.Stage2.LR, !c.SkipStage2}} {
		if lr.on && lr.v > 0 && lr.v < 1e-5 {
			p.run.Logf("note: %s learning rate %g is a full fine-tuning rate; LoRA adapters usually train at 1e-5..2e-4 (-lr, -stage2-lr)\n", lr.name, lr.v)
		}
	}
	return nil
}
