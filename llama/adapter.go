package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// LoRA adapters (Hu et al., 2021) in Hugging Face PEFT's conventions: on a
// projection y = x·Wᵀ with W [out, in] the adapter adds
// scale·(drop(x)·Aᵀ)·Bᵀ, A [r, in], B [out, r], scale = lora_alpha/r
// (lora_alpha/√r with rsLoRA). A model view (Model.WithAdapter) runs a
// frozen base with an adapter in inference (Runner) and in training
// (Trainable, where only A and B are parameters); adapter_file.go reads
// and writes PEFT's adapter_config.json and adapter_model.safetensors.

// LoRATargets are the projections an adapter may target, in PEFT's
// target_modules spelling; the index of a name is its projection index
// (ProjQ ... ProjDown) in Adapter.Layers and TrainLayer.LoRA.
var LoRATargets = [NumProj]string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}

// Projection indices of a decoder layer.
const (
	ProjQ = iota
	ProjK
	ProjV
	ProjO
	ProjGate
	ProjUp
	ProjDown
	NumProj
)

// projParts are the projections' Hugging Face module paths in a layer.
var projParts = [NumProj]string{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
	"mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}

// AdapterConfig describes a LoRA adapter (the fields of PEFT's LoraConfig
// that this engine implements).
type AdapterConfig struct {
	// R is the rank (PEFT r), >= 1.
	R int
	// Alpha is lora_alpha; the adapter's output is scaled by Alpha/R.
	Alpha float64
	// Dropout is lora_dropout, the probability of zeroing an element of
	// an adapter's input in training (0 <= Dropout < 1).
	Dropout float64
	// Targets are the adapted projections (names from LoRATargets); empty
	// means all seven.
	Targets []string
	// Layers are the adapted decoder layers (PEFT layers_to_transform);
	// empty means all.
	Layers []int
	// RSLoRA scales by Alpha/√R instead (PEFT use_rslora).
	RSLoRA bool
	// BaseModel is base_model_name_or_path, informational.
	BaseModel string
}

// Scale returns the factor applied to the adapter's output.
func (c *AdapterConfig) Scale() float32 {
	if c.RSLoRA {
		return float32(c.Alpha / math.Sqrt(float64(c.R)))
	}
	return float32(c.Alpha / float64(c.R))
}

// targets returns the adapted projection indices in order.
func (c *AdapterConfig) targets() ([]int, error) {
	if len(c.Targets) == 0 {
		return []int{ProjQ, ProjK, ProjV, ProjO, ProjGate, ProjUp, ProjDown}, nil
	}
	var out []int
	for _, name := range c.Targets {
		i := slices.Index(LoRATargets[:], name)
		if i < 0 {
			return nil, fmt.Errorf("llama: adapter: unknown target module %q (want some of %v)", name, LoRATargets)
		}
		if slices.Contains(out, i) {
			return nil, fmt.Errorf("llama: adapter: target module %q listed twice", name)
		}
		out = append(out, i)
	}
	slices.Sort(out)
	return out, nil
}

// validate checks the config against a model with the given layer count.
func (c *AdapterConfig) validate(layers int) error {
	if c.R < 1 || c.R > 1<<16 {
		return fmt.Errorf("llama: adapter: rank r = %d, want 1..65536", c.R)
	}
	if math.IsNaN(c.Alpha) || math.IsInf(c.Alpha, 0) || c.Alpha <= 0 {
		return fmt.Errorf("llama: adapter: lora_alpha = %v, want a positive number", c.Alpha)
	}
	if !(c.Dropout >= 0 && c.Dropout < 1) {
		return fmt.Errorf("llama: adapter: lora_dropout = %v, want 0 <= p < 1", c.Dropout)
	}
	if _, err := c.targets(); err != nil {
		return err
	}
	seen := map[int]bool{}
	for _, l := range c.Layers {
		if l < 0 || l >= layers {
			return fmt.Errorf("llama: adapter: layer %d outside the model's %d layers", l, layers)
		}
		if seen[l] {
			return fmt.Errorf("llama: adapter: layer %d listed twice", l)
		}
		seen[l] = true
	}
	return nil
}

// adapts reports whether layer l is adapted.
func (c *AdapterConfig) adapts(l int) bool { return len(c.Layers) == 0 || slices.Contains(c.Layers, l) }

// LoRAWeights is one projection's adapter: A [R, In] and B [Out, R],
// row-major float32.
type LoRAWeights struct {
	R, In, Out int
	A, B       []float32
}

// Adapter is a LoRA adapter for one model shape: Layers[l][p] is the
// adapter of projection p (ProjQ ... ProjDown) of decoder layer l, nil
// where that projection is not adapted. The matrices are the storage that
// Trainable's parameters and every Runner read, so an optimizer step is
// visible to inference at once.
type Adapter struct {
	Config AdapterConfig
	Layers [][NumProj]*LoRAWeights
}

// NewAdapter returns a fresh adapter for models of cfg, initialised as
// PEFT does by default: B = 0 (the adapted model starts equal to the base)
// and A uniform in [-1/√in, 1/√in] (kaiming_uniform with a = √5), drawn
// from a generator seeded by seed and the matrix's position.
func NewAdapter(cfg *Config, ac AdapterConfig, seed uint64) (*Adapter, error) {
	d, err := configDims(cfg)
	if err != nil {
		return nil, err
	}
	if err := ac.validate(d.layers); err != nil {
		return nil, err
	}
	ac.Targets = slices.Clone(ac.Targets)
	ac.Layers = slices.Clone(ac.Layers)
	targets, _ := ac.targets()
	a := &Adapter{Config: ac, Layers: make([][NumProj]*LoRAWeights, d.layers)}
	for l := range a.Layers {
		if !ac.adapts(l) {
			continue
		}
		for _, p := range targets {
			out, in := d.matrixShape(projParts[p])
			w := &LoRAWeights{R: ac.R, In: in, Out: out, A: make([]float32, ac.R*in), B: make([]float32, out*ac.R)}
			rng := rand.New(rand.NewPCG(seed, uint64(l*NumProj+p)))
			bound := 1 / math.Sqrt(float64(in))
			for i := range w.A {
				w.A[i] = float32((2*rng.Float64() - 1) * bound)
			}
			a.Layers[l][p] = w
		}
	}
	return a, nil
}

// NumParams counts the adapter's parameters.
func (a *Adapter) NumParams() int64 {
	var n int64
	a.each(func(_, _ int, w *LoRAWeights) { n += int64(len(w.A) + len(w.B)) })
	return n
}

// each visits every adapted projection in layer, then projection order.
func (a *Adapter) each(fn func(layer, proj int, w *LoRAWeights)) {
	for l := range a.Layers {
		for p, w := range a.Layers[l] {
			if w != nil {
				fn(l, p, w)
			}
		}
	}
}

// Clone returns a deep copy.
func (a *Adapter) Clone() *Adapter {
	c := &Adapter{Config: a.Config, Layers: make([][NumProj]*LoRAWeights, len(a.Layers))}
	c.Config.Targets = slices.Clone(a.Config.Targets)
	c.Config.Layers = slices.Clone(a.Config.Layers)
	a.each(func(l, p int, w *LoRAWeights) {
		c.Layers[l][p] = &LoRAWeights{R: w.R, In: w.In, Out: w.Out, A: slices.Clone(w.A), B: slices.Clone(w.B)}
	})
	return c
}

// check validates the adapter against a model's sizes: layer count, every
// matrix's shape and length, finite values, and the config.
func (a *Adapter) check(d dims) error {
	if err := a.Config.validate(d.layers); err != nil {
		return err
	}
	if len(a.Layers) != d.layers {
		return fmt.Errorf("llama: adapter has %d layers, the model %d", len(a.Layers), d.layers)
	}
	targets, _ := a.Config.targets()
	var err error
	a.each(func(l, p int, w *LoRAWeights) {
		if err != nil {
			return
		}
		out, in := d.matrixShape(projParts[p])
		name := fmt.Sprintf("layer %d %s", l, LoRATargets[p])
		switch {
		case !slices.Contains(targets, p) || !a.Config.adapts(l):
			err = fmt.Errorf("llama: adapter has weights for %s, which its config does not target", name)
		case w.R != a.Config.R:
			err = fmt.Errorf("llama: adapter %s has rank %d, the config r = %d", name, w.R, a.Config.R)
		case w.In != in || w.Out != out:
			err = fmt.Errorf("llama: adapter %s is for a [%d, %d] projection, the model's is [%d, %d]", name, w.Out, w.In, out, in)
		case len(w.A) != w.R*w.In || len(w.B) != w.Out*w.R:
			err = fmt.Errorf("llama: adapter %s holds %d and %d values, want A %d and B %d", name, len(w.A), len(w.B), w.R*w.In, w.Out*w.R)
		case !isFinite(w.A) || !isFinite(w.B):
			err = fmt.Errorf("llama: adapter %s contains NaN or Inf", name)
		}
	})
	return err
}

// CopyFrom copies b's matrices into a's storage (a resumed run loading
// saved adapter weights into the adapter its Trainable and Runners
// already use). Both must have the same rank, scale, targets, layers and
// shapes; a's config is kept.
func (a *Adapter) CopyFrom(b *Adapter) error {
	if a.Config.R != b.Config.R || len(a.Layers) != len(b.Layers) || a.Config.Scale() != b.Config.Scale() {
		return fmt.Errorf("llama: adapter copy: rank %d, scale %g, %d layers into rank %d, scale %g, %d layers",
			b.Config.R, b.Config.Scale(), len(b.Layers), a.Config.R, a.Config.Scale(), len(a.Layers))
	}
	for l := range a.Layers {
		for p, w := range a.Layers[l] {
			v := b.Layers[l][p]
			if (w == nil) != (v == nil) || (w != nil && (w.In != v.In || w.Out != v.Out || w.R != v.R || len(w.A) != len(v.A) || len(w.B) != len(v.B))) {
				return fmt.Errorf("llama: adapter copy: layer %d %s differs in presence or shape", l, LoRATargets[p])
			}
		}
	}
	a.each(func(l, p int, w *LoRAWeights) {
		copy(w.A, b.Layers[l][p].A)
		copy(w.B, b.Layers[l][p].B)
	})
	return nil
}
