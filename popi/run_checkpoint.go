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
	// DropoutCalls is the LoRA dropout mask counter of the trained model (see
	// llama.Trainable.DropoutCalls; 0 without adapter dropout).
	DropoutCalls uint64 `json:"dropout_calls,omitempty"`
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

// SaveCheckpoint commits a new checkpoint to the store at dir (ckpt/<phase>) through
// llama.SaveModelDir with Generations: the model in Hugging Face format (config.json,
// model.safetensors), the tokenizer files, optimizer.bin (AdamW state) and state.json go
// into a new generation directory dir/gNNNNNN, which a MANIFEST (sizes and SHA-256 of
// every file) marks complete; the CURRENT pointer is then switched to it and the older
// generations removed, each step fsynced before the next (atomicfile.Commit). A crash at
// any point leaves the previous checkpoint or the new one for LoadCheckpoint.
//
// A view with an adapter (LoRA training, llama.Model.WithAdapter) checkpoints its adapter
// only, in PEFT's layout (adapter_config.json, adapter_model.safetensors) instead of the
// model files: the base never changes.
//
// Weights or optimizer state holding a NaN or an infinity are an error naming the tensor
// and the step, and nothing is written: the previous checkpoint stays the one to resume.
func SaveCheckpoint(dir string, m *llama.Model, tok *llama.Tokenizer, opt *nn.AdamW, st TrainState) error {
	return saveCheckpoint(dir, m, tok, opt, st, nil)
}

// saveCheckpoint is SaveCheckpoint; more, if set, writes further files into the new
// generation's directory (committed with the rest).
func saveCheckpoint(dir string, m *llama.Model, tok *llama.Tokenizer, opt *nn.AdamW, st TrainState, more func(tmp string) error) error {
	a := m.Adapter()
	if a != nil {
		if err := a.CheckFinite(); err != nil {
			return fmt.Errorf("popi: checkpoint of %s at step %d not written: %w", st.Phase, st.Step, err)
		}
	} else if err := m.CheckFinite(); err != nil {
		return fmt.Errorf("popi: checkpoint of %s at step %d not written: %w", st.Phase, st.Step, err)
	}
	var ost *nn.AdamWState
	if opt != nil {
		ost = opt.State()
		if err := ost.Check(); err != nil {
			return fmt.Errorf("popi: checkpoint of %s at step %d not written: %w", st.Phase, st.Step, err)
		}
	}
	extra := func(tmp string) error {
		if ost != nil {
			if err := ost.Save(filepath.Join(tmp, "optimizer.bin")); err != nil {
				return fmt.Errorf("popi: checkpoint optimizer: %w", err)
			}
		}
		if more != nil {
			if err := more(tmp); err != nil {
				return err
			}
		}
		return atomicfile.WriteJSON(filepath.Join(tmp, "state.json"), st, fileMode)
	}
	if a != nil {
		_, err := atomicfile.Commit(dir, func(gen string) error {
			if err := a.Save(gen); err != nil {
				return err
			}
			return extra(gen)
		})
		return err
	}
	return llama.SaveModelDir(dir, m, tok, llama.SaveDirOptions{Generations: true, Extra: extra})
}

// checkpointCandidates lists the directories that may hold the checkpoint of the store
// at dir, best first: the committed generation (or, if it is damaged or CURRENT is
// missing, the newest complete one), then the layout of earlier versions (the
// checkpoint directly in dir, or in dir+".old" after a crash between its two renames).
func checkpointCandidates(dir string) []string {
	var out []string
	if d, ok := atomicfile.Current(dir); ok {
		out = append(out, d)
	}
	for _, d := range []string{dir, dir + ".old"} {
		if _, err := os.Stat(filepath.Join(d, "state.json")); err == nil {
			out = append(out, d)
		}
	}
	return out
}

// CheckpointDir returns the directory holding the checkpoint to resume from in the store
// at dir (see checkpointCandidates); ok is false when there is none.
func CheckpointDir(dir string) (string, bool) {
	c := checkpointCandidates(dir)
	if len(c) == 0 {
		return "", false
	}
	return c[0], true
}

// LoadCheckpoint restores a checkpoint into m (weights copied into m's own storage, so a
// Trainable over m stays valid; for a view with an adapter, the adapter's matrices) and
// opt, and returns its state. Every candidate is tried
// in turn (checkpointCandidates); the first that loads completely wins.
func LoadCheckpoint(dir string, m *llama.Model, opt *nn.AdamW) (TrainState, error) {
	return loadCheckpoint(dir, m, opt, nil)
}

// loadCheckpoint is LoadCheckpoint; extra, if set, reads further files of the candidate
// directory (after the weights and optimizer state load).
func loadCheckpoint(dir string, m *llama.Model, opt *nn.AdamW, extra func(d string) error) (TrainState, error) {
	cands := checkpointCandidates(dir)
	if len(cands) == 0 {
		return TrainState{}, fmt.Errorf("popi: no checkpoint in %s", dir)
	}
	var errs []error
	for _, d := range cands {
		st, err := loadCheckpointFrom(d, m, opt)
		if err == nil && extra != nil {
			err = extra(d)
		}
		if err == nil {
			return st, nil
		}
		errs = append(errs, err)
	}
	return TrainState{}, errors.Join(errs...)
}

func loadCheckpointFrom(d string, m *llama.Model, opt *nn.AdamW) (TrainState, error) {
	var st TrainState
	if err := ReadJSON(filepath.Join(d, "state.json"), &st); err != nil {
		return st, err
	}
	var copyIn func() error
	if a := m.Adapter(); a != nil {
		if !isAdapterDir(d) {
			return st, fmt.Errorf("popi: checkpoint %s holds a full model, but this run trains LoRA adapters", d)
		}
		src, err := llama.LoadAdapter(d, m.Config)
		if err != nil {
			return st, fmt.Errorf("popi: checkpoint %s: %w", d, err)
		}
		copyIn = func() error { return a.CopyFrom(src) }
	} else {
		if isAdapterDir(d) {
			return st, fmt.Errorf("popi: checkpoint %s holds a LoRA adapter, but this run fine-tunes the full model", d)
		}
		src, err := llama.Load(d, llama.LoadOptions{})
		if err != nil {
			return st, fmt.Errorf("popi: checkpoint %s: %w", d, err)
		}
		copyIn = func() error { return CopyWeights(m, src) }
	}
	var s *nn.AdamWState
	if opt != nil {
		var err error
		if s, err = nn.ReadAdamWState(filepath.Join(d, "optimizer.bin")); err != nil {
			return st, fmt.Errorf("popi: checkpoint %s: %w", d, err)
		}
	}
	if err := copyIn(); err != nil {
		return st, fmt.Errorf("popi: checkpoint %s: %w", d, err)
	}
	if opt != nil {
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
