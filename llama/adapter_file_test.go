package llama

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// configKeys returns the sorted top-level keys of a JSON object.
func configKeys(t testing.TB, js []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Save then LoadAdapter gives back the same adapter; the files use PEFT's
// config keys and tensor names and shapes (those of the PyTorch golden).
func TestAdapterFileRoundTrip(t *testing.T) {
	base := loadGolden(t, ".", LoadOptions{})
	golden, err := LoadAdapter(loraGoldenDir+"/adapter", base.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, ac := range []AdapterConfig{
		{R: 4, Alpha: 8, BaseModel: "tiny-llama3"},
		{R: 3, Alpha: 5.5, Dropout: 0.05, Targets: []string{"v_proj", "q_proj", "down_proj"}, Layers: []int{1}, RSLoRA: true},
	} {
		a, err := NewAdapter(base.Config, ac, 9)
		if err != nil {
			t.Fatal(err)
		}
		a.each(func(l, p int, w *LoRAWeights) { w.B[0] = float32(l+p) + 0.5 })
		dir := filepath.Join(t.TempDir(), "adapter")
		if err := a.Save(dir); err != nil {
			t.Fatal(err)
		}
		back, err := LoadAdapter(dir, base.Config)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(a.Config.Targets) // written in projection order
		a.Config.Targets = []string(nil)
		for _, p := range mustTargets(t, ac) {
			a.Config.Targets = append(a.Config.Targets, LoRATargets[p])
		}
		if !reflect.DeepEqual(a, back) {
			t.Errorf("round trip of %+v changed the adapter: %+v", ac, back.Config)
		}
		got, _ := os.ReadFile(filepath.Join(dir, AdapterConfigFile))
		want, _ := os.ReadFile(loraGoldenDir + "/adapter/" + AdapterConfigFile)
		if !reflect.DeepEqual(configKeys(t, got), configKeys(t, want)) {
			t.Errorf("config keys %v, PEFT's %v", configKeys(t, got), configKeys(t, want))
		}
	}
	// Names and shapes equal the golden's for the same config.
	a, _ := NewAdapter(base.Config, golden.Config, 1)
	dir := t.TempDir()
	if err := a.Save(dir); err != nil {
		t.Fatal(err)
	}
	mine, err := OpenSafetensors(filepath.Join(dir, AdapterWeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	ref, err := OpenSafetensors(loraGoldenDir + "/adapter/" + AdapterWeightsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if !reflect.DeepEqual(mine.Names(), ref.Names()) {
		t.Fatalf("tensor names %v\nPEFT's %v", mine.Names(), ref.Names())
	}
	for _, n := range ref.Names() {
		dt1, s1, _ := mine.Info(n)
		dt2, s2, _ := ref.Info(n)
		if dt1 != dt2 || !reflect.DeepEqual(s1, s2) {
			t.Errorf("%s: %v %v, PEFT's %v %v", n, dt1, s1, dt2, s2)
		}
	}
	if !reflect.DeepEqual(mine.Metadata, ref.Metadata) {
		t.Errorf("metadata %v, PEFT's %v", mine.Metadata, ref.Metadata)
	}
}

func mustTargets(t *testing.T, ac AdapterConfig) []int {
	ps, err := ac.targets()
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// goldenAdapterFiles returns the golden adapter's two files.
func goldenAdapterFiles(t testing.TB) ([]byte, []byte) {
	t.Helper()
	js, err := os.ReadFile(loraGoldenDir + "/adapter/" + AdapterConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile(loraGoldenDir + "/adapter/" + AdapterWeightsFile)
	if err != nil {
		t.Fatal(err)
	}
	return js, w
}

// editConfig returns the golden config with key set to value (nil
// deletes it).
func editConfig(t *testing.T, js []byte, key string, value any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	if value == nil {
		delete(m, key)
	} else {
		m[key] = value
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeWeights builds an adapter_model.safetensors image.
func writeWeights(t *testing.T, ts []Tensor) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w.safetensors")
	if err := WriteSafetensors(p, ts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenTensors reads every tensor of the golden adapter.
func goldenTensors(t *testing.T) []Tensor {
	st, err := OpenSafetensors(loraGoldenDir + "/adapter/" + AdapterWeightsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ts []Tensor
	for _, n := range st.Names() {
		tt, err := ReadTensor(st, n)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tt)
	}
	return ts
}

// Every kind of bad adapter file gives an error naming the problem.
func TestAdapterLoadErrors(t *testing.T) {
	cfg := loadGolden(t, ".", LoadOptions{}).Config
	js, w := goldenAdapterFiles(t)
	if _, err := ParseAdapter(js, w, cfg); err != nil {
		t.Fatalf("golden adapter: %v", err)
	}
	mod := func(f func(ts []Tensor) []Tensor) []byte { return writeWeights(t, f(goldenTensors(t))) }
	cases := []struct {
		name    string
		js, w   []byte
		cfg     *Config
		wantErr string
	}{
		{"not json", []byte("{"), w, cfg, "adapter_config.json"},
		{"peft type", editConfig(t, js, "peft_type", "IA3"), w, cfg, "peft_type"},
		{"no peft type", editConfig(t, js, "peft_type", nil), w, cfg, "peft_type is missing"},
		{"r mismatch", editConfig(t, js, "r", 8), w, cfg, "r = 8"},
		{"r zero", editConfig(t, js, "r", 0), w, cfg, "rank"},
		{"alpha negative", editConfig(t, js, "lora_alpha", -1), w, cfg, "lora_alpha"},
		{"dropout", editConfig(t, js, "lora_dropout", 1.5), w, cfg, "lora_dropout"},
		{"bias", editConfig(t, js, "bias", "all"), w, cfg, "bias"},
		{"dora", editConfig(t, js, "use_dora", true), w, cfg, "DoRA"},
		{"fan in fan out", editConfig(t, js, "fan_in_fan_out", true), w, cfg, "fan_in_fan_out"},
		{"rank pattern", editConfig(t, js, "rank_pattern", map[string]int{"q_proj": 8}), w, cfg, "rank_pattern"},
		{"modules to save", editConfig(t, js, "modules_to_save", []string{"lm_head"}), w, cfg, "modules_to_save"},
		{"unknown module", editConfig(t, js, "target_modules", []string{"q_proj", "lm_head"}), w, cfg, "unknown target module \"lm_head\""},
		{"regex", editConfig(t, js, "target_modules", ".*q_proj"), w, cfg, "regular expression"},
		{"task", editConfig(t, js, "task_type", "SEQ_CLS"), w, cfg, "task_type"},
		{"layer out of range", editConfig(t, js, "layers_to_transform", []int{0, 5}), w, cfg, "layer 5"},
		{"fewer targets", editConfig(t, js, "target_modules", []string{"q_proj"}), w, cfg, "unexpected tensor"},
		{"missing tensor", js, mod(func(ts []Tensor) []Tensor { return ts[1:] }), cfg, "missing tensor"},
		{"transposed A", js, mod(func(ts []Tensor) []Tensor {
			ts[0].Shape = []int{ts[0].Shape[1], ts[0].Shape[0]}
			return ts
		}), cfg, "has shape"},
		{"NaN", js, mod(func(ts []Tensor) []Tensor {
			ts[3].F32 = slices.Clone(ts[3].F32)
			ts[3].F32[1] = float32(nan())
			return ts
		}), cfg, "NaN"},
		{"extra tensor", js, mod(func(ts []Tensor) []Tensor {
			return append(ts, Tensor{Name: "base_model.model.lm_head.lora_A.weight", DType: tensor.F32, Shape: []int{1}, F32: []float32{1}})
		}), cfg, "unexpected tensor"},
		{"other model", js, w, presetConfig("5m"), "shape"},
		{"nil config", js, w, nil, "nil config"},
		{"garbage weights", js, []byte("garbage!"), cfg, "safetensors"},
	}
	for _, c := range cases {
		_, err := ParseAdapter(c.js, c.w, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		}
	}
	// bf16 adapter tensors are read (widened); "all-linear" means all seven.
	ts := goldenTensors(t)
	for i := range ts {
		u := make([]uint16, len(ts[i].F32))
		tensor.BF16.FromF32(u, ts[i].F32)
		ts[i].DType, ts[i].F32, ts[i].U16 = tensor.BF16, nil, u
	}
	a, err := ParseAdapter(editConfig(t, js, "target_modules", "all-linear"), writeWeights(t, ts), cfg)
	if err != nil {
		t.Fatalf("bf16 adapter with all-linear: %v", err)
	}
	if len(a.Config.Targets) != 0 || a.Layers[1][ProjDown] == nil {
		t.Errorf("all-linear read as %v", a.Config.Targets)
	}
	if _, err := LoadAdapter(t.TempDir(), cfg); err == nil {
		t.Error("empty directory accepted")
	}
}

func nan() float64 { var z float64; return z / z }

// FuzzParseAdapter: arbitrary config and weight bytes never panic, and
// whatever loads passes the model view's checks.
func FuzzParseAdapter(f *testing.F) {
	base := loadGolden(f, ".", LoadOptions{})
	// Small seeds (rank 1, two projections of one layer) keep the fuzzer
	// fast; the golden's config is a seed too.
	a, err := NewAdapter(base.Config, AdapterConfig{R: 1, Alpha: 2, Targets: []string{"q_proj", "down_proj"}, Layers: []int{1}}, 1)
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if err := a.Save(dir); err != nil {
		f.Fatal(err)
	}
	js, _ := os.ReadFile(filepath.Join(dir, AdapterConfigFile))
	w, _ := os.ReadFile(filepath.Join(dir, AdapterWeightsFile))
	gjs, _ := goldenAdapterFiles(f)
	f.Add(js, w)
	f.Add(gjs, w)
	f.Add([]byte(`{"peft_type":"LORA","r":1,"target_modules":"all-linear","layers_to_transform":1}`), w)
	f.Add([]byte(`{"peft_type":"LORA","r":1,"lora_alpha":8,"target_modules":["q_proj"]}`), w[:len(w)/2])
	f.Fuzz(func(t *testing.T, js, w []byte) {
		a, err := ParseAdapter(js, w, base.Config)
		if err != nil {
			return
		}
		if _, err := base.WithAdapter(a); err != nil {
			t.Fatalf("loaded adapter refused by WithAdapter: %v", err)
		}
	})
}

// CopyFrom loads saved weights into an adapter in use: its Trainable's
// parameters (same storage) see them; mismatched adapters are refused.
func TestAdapterCopyFrom(t *testing.T) {
	base := loadGolden(t, ".", LoadOptions{})
	saved, err := LoadAdapter(loraGoldenDir+"/adapter", base.Config)
	if err != nil {
		t.Fatal(err)
	}
	live, _ := NewAdapter(base.Config, saved.Config, 3)
	v, _ := base.WithAdapter(live)
	tm := v.Trainable()
	if err := live.CopyFrom(saved); err != nil {
		t.Fatal(err)
	}
	if tm.Layers[1].LoRA[ProjUp].B.Data[5] != saved.Layers[1][ProjUp].B[5] {
		t.Error("Trainable parameters do not see the copied weights")
	}
	other, _ := NewAdapter(base.Config, AdapterConfig{R: 4, Alpha: 8, Targets: []string{"q_proj"}}, 1)
	if err := live.CopyFrom(other); err == nil {
		t.Error("copy from an adapter with other targets accepted")
	}
}
