package llama

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// The GGUF file of the tiny model gives the same logits as safetensors.
func TestGGUFModelMatchesSafetensors(t *testing.T) {
	st := loadGolden(t, ".", LoadOptions{})
	gg := loadGolden(t, "model.gguf", LoadOptions{})
	if gg.Config.Layers != st.Config.Layers || gg.Config.TieWordEmbeddings != st.Config.TieWordEmbeddings {
		t.Fatalf("GGUF config %+v differs from config.json %+v", gg.Config, st.Config)
	}
	for i, ids := range goldenInputs(t) {
		want, _ := readGolden(t, goldenPath("logits.safetensors"), "logits_"+string(rune('0'+i)))
		a, b := fullLogits(t, st, ids), fullLogits(t, gg, ids)
		if d := maxAbsDiff(a, b); d > 1e-6 {
			t.Errorf("seq %d: GGUF logits differ from safetensors by %.3g", i, d)
		}
		if d := maxAbsDiff(b, want); d > 1e-4 {
			t.Errorf("seq %d: GGUF logits differ from golden by %.3g", i, d)
		}
	}
}

// copyGoldenModel copies config.json and model.safetensors of a golden
// model into a temp dir and returns it.
func copyGoldenModel(t *testing.T, sub string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		data, err := os.ReadFile(goldenPath(sub, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadErrors(t *testing.T) {
	// Missing and mis-shaped tensors, wrong dtype requests, unknown paths.
	m := loadGolden(t, ".", LoadOptions{})
	ts, err := OpenTensors(goldenPath("."))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	cases := map[string]struct {
		cfg  func(c Config) *Config
		opts LoadOptions
		want string
	}{
		"more layers":  {func(c Config) *Config { c.Layers = 3; return &c }, LoadOptions{}, "missing tensor model.layers.2"},
		"fewer layers": {func(c Config) *Config { c.Layers = 1; return &c }, LoadOptions{}, "unexpected tensors"},
		"wrong hidden": {func(c Config) *Config { c.Intermediate = 170; return &c }, LoadOptions{}, "has shape"},
		"untied":       {func(c Config) *Config { c.TieWordEmbeddings = false; return &c }, LoadOptions{}, "missing tensor lm_head.weight"},
		"weight type":  {func(c Config) *Config { return &c }, LoadOptions{WeightType: "int4"}, "unknown weight type"},
		"bad config":   {func(c Config) *Config { c.Heads = 3; return &c }, LoadOptions{}, "divisible"},
	}
	for name, tc := range cases {
		_, err := LoadFrom(tc.cfg(*m.Config), ts, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope"), LoadOptions{}); err == nil {
		t.Error("missing path loaded")
	}
	// A directory whose safetensors lacks a tensor.
	dir := copyGoldenModel(t, ".")
	var keep []Tensor
	for _, n := range ts.Names() {
		if n == "model.norm.weight" {
			continue
		}
		tt, err := ReadTensor(ts, n)
		if err != nil {
			t.Fatal(err)
		}
		keep = append(keep, tt)
	}
	if err := WriteSafetensors(filepath.Join(dir, "model.safetensors"), keep); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "model.norm.weight") {
		t.Errorf("load without model.norm.weight: %v", err)
	}
	// NaN weights are refused.
	for i := range keep {
		if keep[i].Name == "model.embed_tokens.weight" {
			keep[i].F32[5] = float32(math.NaN())
		}
	}
	if err := WriteSafetensors(filepath.Join(dir, "model.safetensors"), append(keep, Tensor{Name: "model.norm.weight", DType: tensor.F32, Shape: []int{64}, F32: m.Norm})); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("load with a NaN weight: %v", err)
	}
}

func TestLoadRejectsNonFiniteHalf(t *testing.T) {
	ts, err := OpenTensors(goldenPath("bf16"))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	var all []Tensor
	for _, n := range ts.Names() {
		tt, err := ReadTensor(ts, n)
		if err != nil {
			t.Fatal(err)
		}
		if n == "model.layers.1.mlp.up_proj.weight" {
			if tt.DType != tensor.BF16 {
				t.Fatalf("%s stored as %v", n, tt.DType)
			}
			tt.U16[17] = 0x7fc0 // bf16 NaN
		}
		all = append(all, tt)
	}
	dir := copyGoldenModel(t, "bf16")
	if err := WriteSafetensors(filepath.Join(dir, "model.safetensors"), all); err != nil {
		t.Fatal(err)
	}
	for _, wt := range []string{"auto", "f32"} {
		if _, err := Load(dir, LoadOptions{WeightType: wt}); err == nil || !strings.Contains(err.Error(), "up_proj") {
			t.Errorf("%s: NaN bf16 weight: %v", wt, err)
		}
	}
	if halfFinite([]uint16{0x7c00}, tensor.F16) || !halfFinite([]uint16{0x7bff, 0x3c00}, tensor.F16) {
		t.Error("f16 finiteness check wrong")
	}
}
