package llama

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/popi-go/popi/tensor"
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

// NewRandomAs equals NewRandom followed by ConvertWeights, and both are
// deterministic in the seed.
func TestNewRandomAs(t *testing.T) {
	cfg := presetConfig("5m")
	cfg.Vocab, cfg.Layers = 300, 1
	a, err := NewRandom(cfg, 11)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ConvertWeights(tensor.BF16); err != nil {
		t.Fatal(err)
	}
	b, err := NewRandomAs(cfg, 11, tensor.BF16)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Embed.U16) != len(a.Embed.U16) || b.Layers[0].Down.DType != tensor.BF16 {
		t.Fatal("NewRandomAs shapes/types differ")
	}
	for i := range a.Embed.U16 {
		if a.Embed.U16[i] != b.Embed.U16[i] {
			t.Fatalf("embedding value %d differs", i)
		}
	}
	if d := maxAbsDiff(a.Layers[0].Down.ToF32(), b.Layers[0].Down.ToF32()); d != 0 {
		t.Errorf("down_proj differs by %g", d)
	}
	c, _ := NewRandomAs(cfg, 12, tensor.BF16)
	if c.Embed.U16[0] == b.Embed.U16[0] && c.Embed.U16[1] == b.Embed.U16[1] {
		t.Error("seed ignored")
	}
	// HF init statistics: std 0.02.
	var s2 float64
	w := a.Layers[0].Gate.ToF32()
	for _, v := range w {
		s2 += float64(v) * float64(v)
	}
	if std := math.Sqrt(s2 / float64(len(w))); math.Abs(std-0.02) > 0.001 {
		t.Errorf("init std %.4f, want 0.02", std)
	}
	if _, err := NewRandomAs(cfg, 1, tensor.Q8_0); err == nil {
		t.Error("Q8_0 storage accepted")
	}
}

// Clone is deep: training the clone leaves the original untouched, and the
// clone is fused and gives the same logits before training.
func TestModelClone(t *testing.T) {
	m := loadGolden(t, "untied", LoadOptions{})
	c := m.Clone()
	ids := goldenInputs(t)[1]
	want := fullLogits(t, m, ids)
	if d := maxAbsDiff(fullLogits(t, c, ids), want); d != 0 {
		t.Fatalf("clone logits differ by %g", d)
	}
	for i := range c.Layers {
		l := &c.Layers[i]
		if !aliases(&l.qkv, &l.Q, &l.K, &l.V) || !aliases(&l.gateUp, &l.Gate, &l.Up) {
			t.Fatalf("clone layer %d not fused", i)
		}
	}
	for _, p := range c.Trainable().Params() {
		for i := range p.Data {
			p.Data[i] *= 1.5
		}
	}
	c.Config.EOS[0] = 1
	if d := maxAbsDiff(fullLogits(t, m, ids), want); d != 0 || m.Config.EOS[0] == 1 {
		t.Error("changing the clone changed the original")
	}
	if d := maxAbsDiff(fullLogits(t, c, ids), want); d == 0 {
		t.Error("clone parameters are not the ones its forward uses")
	}
}
