package world

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// fspoRow is one record in the FSPO ELIX/Review JSONL schema. scorer_level is the user ID;
// persona is the ground-truth persona sentence (for the judge only); level_x and level_y
// are the style codes the two responses were written in.
type fspoRow struct {
	Prompt      string `json:"prompt"`
	ResponseX   string `json:"response_x"`
	ResponseY   string `json:"response_y"`
	Label       int    `json:"label"`
	LevelX      string `json:"level_x"`
	LevelY      string `json:"level_y"`
	ScorerLevel string `json:"scorer_level"`
	Persona     string `json:"persona"`
}

// WriteFSPO writes the training (heldOut false) or held-out users' pairs as FSPO JSONL,
// atomically (temporary file in the same directory, then rename). The chosen response is
// put in position x or y by a seeded coin; label 0 means x is preferred. Noisy pairs are
// written with the label flipped.
func (w *World) WriteFSPO(path string, heldOut bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("world: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	side := uint64(0)
	if heldOut {
		side = 1
	}
	rng := rand.New(rand.NewPCG(w.Config.Seed, 0x5eed0000+side))
	for _, u := range w.Users(heldOut) {
		for _, p := range u.Pairs {
			row := fspoRow{Prompt: p.Prompt, ScorerLevel: u.ID, Persona: u.Persona.Sentence()}
			chosenFirst := rng.IntN(2) == 0
			if chosenFirst {
				row.ResponseX, row.ResponseY = p.Chosen, p.Rejected
				row.LevelX, row.LevelY = u.Persona.Code(), p.RejectedStyle.Code()
			} else {
				row.ResponseX, row.ResponseY = p.Rejected, p.Chosen
				row.LevelX, row.LevelY = p.RejectedStyle.Code(), u.Persona.Code()
				row.Label = 1
			}
			if p.Noisy {
				row.Label = 1 - row.Label
			}
			if err := enc.Encode(row); err != nil {
				return fmt.Errorf("world: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("world: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("world: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("world: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("world: %w", err)
	}
	return nil
}
