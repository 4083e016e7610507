package llama

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/tensor"
)

// Adapter files in Hugging Face PEFT's layout, which PEFT's
// PeftModel.from_pretrained, vLLM, llama.cpp's convert_lora_to_gguf and
// the other tools of that ecosystem read:
//   - adapter_config.json: PEFT's LoraConfig (peft_type "LORA", r,
//     lora_alpha, lora_dropout, target_modules, base_model_name_or_path,
//     bias "none", task_type "CAUSAL_LM", fan_in_fan_out false, ...);
//   - adapter_model.safetensors: for each adapted projection
//     base_model.model.model.layers.N.<self_attn|mlp>.<proj>.lora_A.weight
//     [r, in] and ...lora_B.weight [out, r], float32.

// Adapter file names inside an adapter directory.
const (
	AdapterConfigFile  = "adapter_config.json"
	AdapterWeightsFile = "adapter_model.safetensors"
)

// adapterTensorName is PEFT's name of layer l's projection p lora_A or
// lora_B ("A" or "B") weight.
func adapterTensorName(l, p int, which string) string {
	return fmt.Sprintf("base_model.model.model.layers.%d.%s.lora_%s.weight", l, projParts[p], which)
}

// peftConfig is adapter_config.json as this package writes it: the keys
// of PEFT's LoraConfig (0.13), in PEFT's sorted order.
type peftConfig struct {
	AlphaPattern      map[string]any `json:"alpha_pattern"`
	AutoMapping       any            `json:"auto_mapping"`
	BaseModel         string         `json:"base_model_name_or_path"`
	Bias              string         `json:"bias"`
	FanInFanOut       bool           `json:"fan_in_fan_out"`
	InferenceMode     bool           `json:"inference_mode"`
	InitLoraWeights   bool           `json:"init_lora_weights"`
	LayerReplication  any            `json:"layer_replication"`
	LayersPattern     any            `json:"layers_pattern"`
	LayersToTransform []int          `json:"layers_to_transform"`
	LoftqConfig       map[string]any `json:"loftq_config"`
	LoraAlpha         float64        `json:"lora_alpha"`
	LoraDropout       float64        `json:"lora_dropout"`
	MegatronConfig    any            `json:"megatron_config"`
	MegatronCore      string         `json:"megatron_core"`
	ModulesToSave     any            `json:"modules_to_save"`
	PeftType          string         `json:"peft_type"`
	R                 int            `json:"r"`
	RankPattern       map[string]any `json:"rank_pattern"`
	Revision          any            `json:"revision"`
	TargetModules     []string       `json:"target_modules"`
	TaskType          string         `json:"task_type"`
	UseDora           bool           `json:"use_dora"`
	UseRSLoRA         bool           `json:"use_rslora"`
}

// Save writes the adapter to dir (created if needed) as PEFT does:
// adapter_model.safetensors then adapter_config.json, each atomically
// (internal/atomicfile: temporary file, fsync, rename, directory fsync);
// other files in dir are left alone.
func (a *Adapter) Save(dir string) error {
	if err := a.Config.validate(len(a.Layers)); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("llama: save adapter: %w", err)
	}
	var ts []Tensor
	a.each(func(l, p int, w *LoRAWeights) {
		ts = append(ts,
			Tensor{Name: adapterTensorName(l, p, "A"), DType: tensor.F32, Shape: []int{w.R, w.In}, F32: w.A},
			Tensor{Name: adapterTensorName(l, p, "B"), DType: tensor.F32, Shape: []int{w.Out, w.R}, F32: w.B})
	})
	targets, _ := a.Config.targets()
	pc := peftConfig{
		AlphaPattern: map[string]any{}, BaseModel: a.Config.BaseModel, Bias: "none", InferenceMode: true,
		InitLoraWeights: true, LayersToTransform: a.Config.Layers, LoftqConfig: map[string]any{},
		LoraAlpha: a.Config.Alpha, LoraDropout: a.Config.Dropout, MegatronCore: "megatron.core",
		PeftType: "LORA", R: a.Config.R, RankPattern: map[string]any{}, TaskType: "CAUSAL_LM",
		UseRSLoRA: a.Config.RSLoRA,
	}
	for _, p := range targets {
		pc.TargetModules = append(pc.TargetModules, LoRATargets[p])
	}
	js, err := json.MarshalIndent(pc, "", "  ")
	if err != nil {
		return fmt.Errorf("llama: save adapter: %w", err)
	}
	if err := WriteSafetensors(filepath.Join(dir, AdapterWeightsFile), ts); err != nil {
		return fmt.Errorf("llama: save adapter: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, AdapterConfigFile), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("llama: save adapter: %w", err)
	}
	return nil
}

// LoadAdapter reads a PEFT LoRA adapter directory for models of cfg (the
// base's config). See ParseAdapter for what is checked.
func LoadAdapter(dir string, cfg *Config) (*Adapter, error) {
	js, err := os.ReadFile(filepath.Join(dir, AdapterConfigFile))
	if err != nil {
		return nil, fmt.Errorf("llama: load adapter: %w", err)
	}
	wpath := filepath.Join(dir, AdapterWeightsFile)
	if _, err := os.Stat(wpath); err != nil && fileExists(filepath.Join(dir, "adapter_model.bin")) {
		return nil, fmt.Errorf("llama: load adapter %s: only adapter_model.bin (a pickle) is there; save it as safetensors (PEFT's default)", dir)
	}
	st, err := OpenSafetensors(wpath)
	if err != nil {
		return nil, fmt.Errorf("llama: load adapter: %w", err)
	}
	defer st.Close()
	a, err := parseAdapter(js, st, cfg)
	if err != nil {
		return nil, fmt.Errorf("llama: load adapter %s: %w", dir, err)
	}
	return a, nil
}

// ParseAdapter builds an adapter from the bytes of adapter_config.json and
// adapter_model.safetensors for models of cfg. It checks everything and
// returns an error, never panics: peft_type LORA; only what this engine
// implements (bias "none", no DoRA, no per-module rank or alpha patterns,
// no modules_to_save, fan_in_fan_out false, target_modules among
// LoRATargets or "all-linear"); every expected tensor present with shape
// [r, in] / [out, r] for the base's projection sizes, no unknown tensor,
// values finite. F32, BF16 and F16 tensors are read (widened to f32).
func ParseAdapter(configJSON, weights []byte, cfg *Config) (*Adapter, error) {
	st, err := ParseSafetensors(weights)
	if err != nil {
		return nil, err
	}
	return parseAdapter(configJSON, st, cfg)
}

// rawPeftConfig is adapter_config.json as read: fields whose type varies
// between PEFT versions are kept raw.
type rawPeftConfig struct {
	PeftType          *string         `json:"peft_type"`
	TaskType          *string         `json:"task_type"`
	R                 *int            `json:"r"`
	LoraAlpha         *float64        `json:"lora_alpha"`
	LoraDropout       *float64        `json:"lora_dropout"`
	TargetModules     json.RawMessage `json:"target_modules"`
	LayersToTransform json.RawMessage `json:"layers_to_transform"`
	BaseModel         *string         `json:"base_model_name_or_path"`
	Bias              *string         `json:"bias"`
	FanInFanOut       *bool           `json:"fan_in_fan_out"`
	UseDora           *bool           `json:"use_dora"`
	UseRSLoRA         *bool           `json:"use_rslora"`
	RankPattern       map[string]any  `json:"rank_pattern"`
	AlphaPattern      map[string]any  `json:"alpha_pattern"`
	ModulesToSave     json.RawMessage `json:"modules_to_save"`
	LayerReplication  json.RawMessage `json:"layer_replication"`
}

// isNull reports whether a raw JSON value is absent, null or empty ([], {}).
func isNull(m json.RawMessage) bool {
	s := strings.TrimSpace(string(m))
	return s == "" || s == "null" || s == "[]" || s == "{}"
}

// parseAdapterConfig reads adapter_config.json into an AdapterConfig.
func parseAdapterConfig(js []byte, layers int) (AdapterConfig, error) {
	var rc rawPeftConfig
	if err := json.Unmarshal(js, &rc); err != nil {
		return AdapterConfig{}, fmt.Errorf("%s: %w", AdapterConfigFile, err)
	}
	var ac AdapterConfig
	switch {
	case rc.PeftType == nil || *rc.PeftType != "LORA":
		return ac, fmt.Errorf("%s: peft_type is %s, want \"LORA\"", AdapterConfigFile, quoteOrMissing(rc.PeftType))
	case rc.TaskType != nil && *rc.TaskType != "" && *rc.TaskType != "CAUSAL_LM":
		return ac, fmt.Errorf("%s: task_type %q, want \"CAUSAL_LM\"", AdapterConfigFile, *rc.TaskType)
	case rc.R == nil:
		return ac, fmt.Errorf("%s: no r", AdapterConfigFile)
	case rc.Bias != nil && *rc.Bias != "none":
		return ac, fmt.Errorf("%s: bias %q is not supported (want \"none\")", AdapterConfigFile, *rc.Bias)
	case rc.FanInFanOut != nil && *rc.FanInFanOut:
		return ac, fmt.Errorf("%s: fan_in_fan_out true is for Conv1D models, not LLaMA", AdapterConfigFile)
	case rc.UseDora != nil && *rc.UseDora:
		return ac, fmt.Errorf("%s: DoRA (use_dora) is not supported", AdapterConfigFile)
	case len(rc.RankPattern) > 0 || len(rc.AlphaPattern) > 0:
		return ac, fmt.Errorf("%s: per-module rank_pattern/alpha_pattern are not supported", AdapterConfigFile)
	case !isNull(rc.ModulesToSave):
		return ac, fmt.Errorf("%s: modules_to_save %s is not supported (only LoRA matrices)", AdapterConfigFile, rc.ModulesToSave)
	case !isNull(rc.LayerReplication):
		return ac, fmt.Errorf("%s: layer_replication is not supported", AdapterConfigFile)
	}
	ac.R = *rc.R
	ac.Alpha = 8 // PEFT's default lora_alpha
	if rc.LoraAlpha != nil {
		ac.Alpha = *rc.LoraAlpha
	}
	if rc.LoraDropout != nil {
		ac.Dropout = *rc.LoraDropout
	}
	if rc.UseRSLoRA != nil {
		ac.RSLoRA = *rc.UseRSLoRA
	}
	if rc.BaseModel != nil {
		ac.BaseModel = *rc.BaseModel
	}
	var all string
	if json.Unmarshal(rc.TargetModules, &all) == nil {
		if all != "all-linear" {
			return ac, fmt.Errorf("%s: target_modules %q: a regular expression is not supported (list the modules, or \"all-linear\")", AdapterConfigFile, all)
		}
	} else if err := json.Unmarshal(rc.TargetModules, &ac.Targets); err != nil || len(ac.Targets) == 0 {
		return ac, fmt.Errorf("%s: target_modules must be a non-empty list of module names", AdapterConfigFile)
	}
	if !isNull(rc.LayersToTransform) {
		var one int
		if json.Unmarshal(rc.LayersToTransform, &one) == nil {
			ac.Layers = []int{one}
		} else if err := json.Unmarshal(rc.LayersToTransform, &ac.Layers); err != nil {
			return ac, fmt.Errorf("%s: layers_to_transform must be a layer index or a list of them", AdapterConfigFile)
		}
	}
	if err := ac.validate(layers); err != nil {
		return ac, err
	}
	return ac, nil
}

func quoteOrMissing(s *string) string {
	if s == nil {
		return "missing"
	}
	return fmt.Sprintf("%q", *s)
}

// parseAdapter reads the config and every tensor of st for models of cfg.
func parseAdapter(js []byte, st *Safetensors, cfg *Config) (*Adapter, error) {
	d, err := configDims(cfg)
	if err != nil {
		return nil, err
	}
	ac, err := parseAdapterConfig(js, d.layers)
	if err != nil {
		return nil, err
	}
	targets, _ := ac.targets()
	a := &Adapter{Config: ac, Layers: make([][NumProj]*LoRAWeights, d.layers)}
	want := map[string]bool{}
	read := func(name string, rows, cols int) ([]float32, error) {
		dt, shape, ok := st.Info(name)
		if !ok {
			return nil, fmt.Errorf("missing tensor %s (want shape [%d %d])", name, rows, cols)
		}
		if len(shape) != 2 || shape[0] != rows || shape[1] != cols {
			return nil, fmt.Errorf("tensor %s has shape %v, want [%d %d] (r = %d)", name, shape, rows, cols, ac.R)
		}
		if dt != tensor.F32 && dt != tensor.BF16 && dt != tensor.F16 {
			return nil, fmt.Errorf("tensor %s is %s, want F32, BF16 or F16", name, dt)
		}
		f, err := st.ReadF32(name)
		if err != nil {
			return nil, err
		}
		if len(f) != rows*cols {
			return nil, fmt.Errorf("tensor %s has %d values, want %d", name, len(f), rows*cols)
		}
		if !isFinite(f) {
			return nil, fmt.Errorf("tensor %s contains NaN or Inf", name)
		}
		return f, nil
	}
	for l := range a.Layers {
		if !ac.adapts(l) {
			continue
		}
		for _, p := range targets {
			out, in := d.matrixShape(projParts[p])
			na, nb := adapterTensorName(l, p, "A"), adapterTensorName(l, p, "B")
			want[na], want[nb] = true, true
			w := &LoRAWeights{R: ac.R, In: in, Out: out}
			if w.A, err = read(na, ac.R, in); err != nil {
				return nil, err
			}
			if w.B, err = read(nb, out, ac.R); err != nil {
				return nil, err
			}
			a.Layers[l][p] = w
		}
	}
	for _, name := range st.Names() {
		if !want[name] {
			return nil, fmt.Errorf("unexpected tensor %s (not a lora_A/lora_B weight of the configured target_modules and layers of this %d-layer model)", name, d.layers)
		}
	}
	return a, nil
}
