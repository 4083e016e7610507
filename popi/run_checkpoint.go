package popi

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
)

// TrainState is what a checkpoint records besides weights and optimizer moments: the
// number of completed steps (the schedule step and the data position, since the data
// order is a function of the seed and the step), the sampling RNG state and the reward or
// loss history shown in the plots.
type TrainState struct {
	Phase   string       `json:"phase"`
	Step    int          `json:"step"`
	Total   int          `json:"total"`
	RNG     []byte       `json:"rng,omitempty"`
	History []StepRecord `json:"history"`
	// HeldOut are the held-out evaluations made during the phase (Stage 1).
	HeldOut []HeldOutRecord `json:"heldout,omitempty"`
	Done    bool            `json:"done"`
}

// StepRecord is one training step's headline numbers.
type StepRecord struct {
	Step int     `json:"step"`
	Mean float64 `json:"mean"` // reward mean (Stage 1) or loss (Stage 2)
	Std  float64 `json:"std"`  // reward std (Stage 1), 0 for Stage 2
	// Stage 1: attribute accuracy of the sampled summaries (persona world) and their mean
	// length in tokens.
	Acc float64 `json:"acc,omitempty"`
	Len float64 `json:"len,omitempty"`
}

// SaveCheckpoint writes a checkpoint directory through llama.SaveModelDir: the model in
// Hugging Face format (config.json, model.safetensors), the tokenizer files, optimizer.bin
// (AdamW state) and state.json. The directory is assembled under a temporary name and
// swapped into place, so dir always holds a complete checkpoint (the previous one survives
// as dir+".old" until the new one is in place; CheckpointDir finds it there).
func SaveCheckpoint(dir string, m *llama.Model, tok *llama.Tokenizer, opt *nn.AdamW, st TrainState) error {
	return llama.SaveModelDir(dir, m, tok, llama.SaveDirOptions{Extra: func(tmp string) error {
		if opt != nil {
			if err := opt.State().Save(filepath.Join(tmp, "optimizer.bin")); err != nil {
				return fmt.Errorf("popi: checkpoint optimizer: %w", err)
			}
		}
		return atomicfile.WriteJSON(filepath.Join(tmp, "state.json"), st, fileMode)
	}})
}

// CheckpointDir returns the directory holding a complete checkpoint at dir: dir itself, or
// dir+".old" when a crash interrupted the final rename. ok is false when neither exists.
func CheckpointDir(dir string) (string, bool) {
	for _, d := range []string{dir, dir + ".old"} {
		if _, err := os.Stat(filepath.Join(d, "state.json")); err == nil {
			return d, true
		}
	}
	return "", false
}

// LoadCheckpoint restores a checkpoint into m (weights copied into m's own storage, so a
// Trainable over m stays valid) and opt, and returns its state.
func LoadCheckpoint(dir string, m *llama.Model, opt *nn.AdamW) (TrainState, error) {
	var st TrainState
	d, ok := CheckpointDir(dir)
	if !ok {
		return st, fmt.Errorf("popi: no checkpoint in %s", dir)
	}
	if err := ReadJSON(filepath.Join(d, "state.json"), &st); err != nil {
		return st, err
	}
	src, err := llama.Load(d, llama.LoadOptions{})
	if err != nil {
		return st, fmt.Errorf("popi: checkpoint %s: %w", d, err)
	}
	if err := CopyWeights(m, src); err != nil {
		return st, fmt.Errorf("popi: checkpoint %s: %w", d, err)
	}
	if opt != nil {
		s, err := nn.ReadAdamWState(filepath.Join(d, "optimizer.bin"))
		if err != nil {
			return st, fmt.Errorf("popi: checkpoint %s: %w", d, err)
		}
		if err := opt.SetState(s); err != nil {
			return st, fmt.Errorf("popi: checkpoint %s: %w", d, err)
		}
	}
	return st, nil
}

// CopyWeights copies src's weights into dst's storage; the two must have the same shapes
// and matrix types.
func CopyWeights(dst, src *llama.Model) error {
	if len(dst.Layers) != len(src.Layers) {
		return fmt.Errorf("popi: %d layers, checkpoint has %d", len(dst.Layers), len(src.Layers))
	}
	var err error
	cm := func(name string, d, s *llama.Matrix) {
		if err != nil {
			return
		}
		if d.Rows != s.Rows || d.Cols != s.Cols || d.DType != s.DType || len(d.F32) != len(s.F32) || len(d.U16) != len(s.U16) {
			err = fmt.Errorf("popi: %s: shape or type differs (%dx%d %v vs %dx%d %v)", name, d.Rows, d.Cols, d.DType, s.Rows, s.Cols, s.DType)
			return
		}
		copy(d.F32, s.F32)
		copy(d.U16, s.U16)
	}
	cv := func(name string, d, s []float32) {
		if err == nil && len(d) != len(s) {
			err = fmt.Errorf("popi: %s: %d values, checkpoint has %d", name, len(d), len(s))
			return
		}
		copy(d, s)
	}
	cm("embed", &dst.Embed, &src.Embed)
	cv("norm", dst.Norm, src.Norm)
	for i := range dst.Layers {
		d, s := &dst.Layers[i], &src.Layers[i]
		n := fmt.Sprintf("layer %d ", i)
		cv(n+"attn norm", d.AttnNorm, s.AttnNorm)
		cv(n+"mlp norm", d.MLPNorm, s.MLPNorm)
		cm(n+"q", &d.Q, &s.Q)
		cm(n+"k", &d.K, &s.K)
		cm(n+"v", &d.V, &s.V)
		cm(n+"o", &d.O, &s.O)
		cm(n+"gate", &d.Gate, &s.Gate)
		cm(n+"up", &d.Up, &s.Up)
		cm(n+"down", &d.Down, &s.Down)
	}
	tiedD, tiedS := dst.LMHead == &dst.Embed, src.LMHead == &src.Embed
	if tiedD != tiedS {
		return errors.New("popi: tied and untied lm_head do not match")
	}
	if !tiedD && dst.LMHead != nil && src.LMHead != nil {
		cm("lm_head", dst.LMHead, src.LMHead)
	}
	return err
}

// newPCG returns a PCG generator and a rand.Rand over it, so its state can be saved.
func newPCG(seed, stream uint64) (*rand.PCG, *rand.Rand) {
	p := rand.NewPCG(seed, stream)
	return p, rand.New(p)
}
