package llama

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/popi-go/popi/internal/atomicfile"
)

// SaveDirOptions adds to the directory SaveModelDir writes.
type SaveDirOptions struct {
	// Extra, if set, writes further files into the new directory tmp after the model and
	// the tokenizer (optimizer state, a training state, a tokenizer_config.json with a chat
	// template, ...); it should write them with internal/atomicfile so they are durable.
	Extra func(tmp string) error
	// KeepOther carries over the files of the directory being replaced that the new
	// version does not write (e.g. a README.md beside the weights); subdirectories are not
	// carried over.
	KeepOther bool
	// Generations treats dir as a store of successive versions (checkpoints) instead of
	// the model directory itself: the model is written as a new generation dir/gNNNNNN
	// and committed by atomicfile.Commit (manifest, CURRENT pointer, then the older
	// generations removed); atomicfile.Current finds the committed one. KeepOther is
	// ignored.
	Generations bool
}

// SaveModelDir writes m as a Hugging Face model directory (Model.Save: config.json and
// model.safetensors), with tok's files (Tokenizer.SaveHF) when tok is not nil, replacing
// any previous version of dir atomically (atomicfile.ReplaceDir): the new version is built
// under a temporary name next to dir and swapped in, the previous one surviving as
// dir+".old" until the new one is in place, so dir (or, after a crash between the two
// renames, dir+".old") always holds a complete model. Every file is fsynced before the
// swap.
func SaveModelDir(dir string, m *Model, tok *Tokenizer, o SaveDirOptions) error {
	// Refuse a model Load would refuse (a NaN or infinite weight) before anything is
	// created, so the previous version stays.
	if err := m.CheckFinite(); err != nil {
		return fmt.Errorf("llama: save: %w", err)
	}
	if o.Generations {
		o.KeepOther = false
		_, err := atomicfile.Commit(dir, func(gen string) error { return writeModelDir(gen, dir, m, tok, o) })
		return err
	}
	return atomicfile.ReplaceDir(dir, func(tmp string) error { return writeModelDir(tmp, dir, m, tok, o) })
}

// writeModelDir writes the files of the new version of dir into the empty directory tmp.
func writeModelDir(tmp, dir string, m *Model, tok *Tokenizer, o SaveDirOptions) error {
	if err := m.Save(tmp); err != nil {
		return err
	}
	if tok != nil {
		if err := tok.SaveHF(tmp); err != nil {
			return fmt.Errorf("llama: save tokenizer: %w", err)
		}
	}
	if o.Extra != nil {
		if err := o.Extra(tmp); err != nil {
			return err
		}
	}
	if o.KeepOther {
		return carryOver(dir, tmp)
	}
	return nil
}

// carryOver copies the regular files of dir that tmp does not hold into tmp.
func carryOver(dir, tmp string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if _, err := os.Stat(filepath.Join(tmp, e.Name())); err == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
