package llama

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Saving and loading reproduces the model exactly (f32 and bf16, tied and
// untied); saving the golden f32 model rewrites model.safetensors byte for
// byte.
func TestSaveLoadRoundTrip(t *testing.T) {
	for _, sub := range []string{".", "untied", "bf16"} {
		m := loadGolden(t, sub, LoadOptions{})
		dir := filepath.Join(t.TempDir(), "ckpt")
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		back, err := Load(dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if back.Embed.DType != m.Embed.DType || back.Config.TieWordEmbeddings != m.Config.TieWordEmbeddings {
			t.Errorf("%s: reloaded as %v tied=%v", sub, back.Embed.DType, back.Config.TieWordEmbeddings)
		}
		for i, ids := range goldenInputs(t) {
			if d := maxAbsDiff(fullLogits(t, m, ids), fullLogits(t, back, ids)); d != 0 {
				t.Errorf("%s seq %d: reloaded logits differ by %.3g", sub, i, d)
			}
		}
		if sub != "bf16" {
			a, _ := os.ReadFile(goldenPath(sub, "model.safetensors"))
			b, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
			if !bytes.Equal(a, b) {
				t.Errorf("%s: saved model.safetensors differs from the original (%d vs %d bytes)", sub, len(b), len(a))
			}
		}
	}
}

// A trained model saved and reloaded continues from the same weights.
func TestSaveAfterTraining(t *testing.T) {
	cfg := presetConfig("5m")
	cfg.Vocab, cfg.Hidden, cfg.Layers, cfg.Intermediate, cfg.HeadDim = 64, 32, 2, 48, 4
	m, err := NewRandom(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	tm := m.Trainable()
	loss, err := tm.NextTokenLoss([][]int{{1, 2, 3, 4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	for _, p := range tm.Params() { // one SGD step, in place in the model's storage
		for i, g := range p.Grad {
			p.Data[i] -= 0.5 * g
		}
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{1, 2, 3, 4, 5, 6}
	if d := maxAbsDiff(fullLogits(t, m, ids), fullLogits(t, back, ids)); d != 0 {
		t.Errorf("reloaded trained model differs by %.3g", d)
	}
	fresh, _ := NewRandom(cfg, 3)
	if d := maxAbsDiff(fullLogits(t, fresh, ids), fullLogits(t, back, ids)); d == 0 {
		t.Error("the training step did not reach the saved weights")
	}
}
