package llama

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/popi-go/popi/tensor"
)

func TestSafetensorsGolden(t *testing.T) {
	ts, err := OpenTensors(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	names := ts.Names()
	if len(names) != 20 {
		t.Fatalf("%d tensors, want 20: %v", len(names), names)
	}
	total := 0
	for _, n := range names {
		dt, shape, ok := ts.Info(n)
		if !ok || dt != tensor.F32 {
			t.Fatalf("%s: %v %v", n, dt, ok)
		}
		cnt := 1
		for _, d := range shape {
			cnt *= d
		}
		total += cnt
		v, err := ts.ReadF32(n)
		if err != nil || len(v) != cnt {
			t.Fatalf("%s: %d values, %v", n, len(v), err)
		}
		if _, _, err := ts.ReadU16(n); err == nil {
			t.Fatalf("%s: ReadU16 of F32 succeeded", n)
		}
	}
	if total != 117056 {
		t.Fatalf("%d parameters, want 117056", total)
	}
	_, shape, _ := ts.Info("model.layers.1.self_attn.k_proj.weight")
	if !reflect.DeepEqual(shape, []int{32, 64}) {
		t.Fatalf("k_proj shape %v", shape)
	}
	if _, err := ts.ReadF32("nope"); err == nil {
		t.Fatal("missing tensor read")
	}
}

func roundBF16(f float32) uint16 {
	b := math.Float32bits(f)
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

func TestSafetensorsBF16MatchesRoundedF32(t *testing.T) {
	f32, err := OpenTensors(filepath.Join(tinyDir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f32.Close()
	b16, err := OpenTensors(filepath.Join(tinyDir, "bf16"))
	if err != nil {
		t.Fatal(err)
	}
	defer b16.Close()
	if !reflect.DeepEqual(f32.Names(), b16.Names()) {
		t.Fatal("name sets differ")
	}
	for _, n := range f32.Names() {
		a, _ := f32.ReadF32(n)
		bits, dt, err := b16.ReadU16(n)
		if err != nil || dt != tensor.BF16 {
			t.Fatal(n, dt, err)
		}
		w, _ := b16.ReadF32(n)
		for i := range a {
			if bits[i] != roundBF16(a[i]) || w[i] != bf16ToF32(bits[i]) {
				t.Fatalf("%s[%d]: bf16 %#x, rne(%g) = %#x", n, i, bits[i], a[i], roundBF16(a[i]))
			}
		}
	}
}

func TestSafetensorsRewriteByteIdentical(t *testing.T) {
	for _, p := range []string{"model.safetensors", "bf16/model.safetensors"} {
		src := filepath.Join(tinyDir, p)
		ts, err := OpenTensors(src)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out.safetensors")
		if err := WriteTensorSet(out, ts); err != nil {
			t.Fatal(err)
		}
		ts.Close()
		a, _ := os.ReadFile(src)
		b, _ := os.ReadFile(out)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: rewrite differs (%d vs %d bytes)", p, len(a), len(b))
		}
	}
}

func TestSafetensorsRoundTripF16AndSharded(t *testing.T) {
	dir := t.TempDir()
	halfs := []uint16{0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x3555}
	want := []float32{0, float32(math.Copysign(0, -1)), 1, -2, 65504, 5.9604645e-08, 6.097555e-05, float32(math.Inf(1)), float32(math.Inf(-1)), 0.33325195}
	tensors := []Tensor{
		{Name: "b.half", DType: tensor.F16, Shape: []int{2, 5}, U16: halfs},
		{Name: "a.f32", DType: tensor.F32, Shape: []int{3}, F32: []float32{1.5, -2, 3e-9}},
		{Name: "c.bf16", DType: tensor.BF16, Shape: []int{1, 2}, U16: []uint16{0x3f80, 0xc040}},
		{Name: "d.empty", DType: tensor.F32, Shape: []int{0, 4}, F32: []float32{}},
		{Name: "e.scalar", DType: tensor.F32, Shape: []int{}, F32: []float32{7}},
	}
	p := filepath.Join(dir, "x.safetensors")
	if err := WriteSafetensors(p, tensors); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSafetensors(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Metadata["format"] != "pt" {
		t.Fatalf("metadata %v", s.Metadata)
	}
	if !reflect.DeepEqual(s.Names(), []string{"a.f32", "b.half", "c.bf16", "d.empty", "e.scalar"}) {
		t.Fatal(s.Names())
	}
	got, _ := s.ReadF32("b.half")
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("f16 %#x -> %g want %g", halfs[i], got[i], want[i])
		}
	}
	if v, _ := s.ReadF32("c.bf16"); v[0] != 1 || v[1] != -3 {
		t.Fatal(v)
	}
	if v, _ := s.ReadF32("e.scalar"); len(v) != 1 || v[0] != 7 {
		t.Fatal(v)
	}
	// NaN f16
	if v := f16ToF32(0x7e00); !math.IsNaN(float64(v)) {
		t.Fatal("f16 NaN")
	}
	// header padded to 8
	raw, _ := os.ReadFile(p)
	if binary.LittleEndian.Uint64(raw)%8 != 0 {
		t.Fatal("header not padded")
	}

	// Sharded: split into two files with an index, open the directory.
	sd := t.TempDir()
	if err := WriteSafetensors(filepath.Join(sd, "model-00001-of-00002.safetensors"), tensors[:2]); err != nil {
		t.Fatal(err)
	}
	if err := WriteSafetensors(filepath.Join(sd, "model-00002-of-00002.safetensors"), tensors[2:]); err != nil {
		t.Fatal(err)
	}
	wm := map[string]string{}
	for i, tt := range tensors {
		wm[tt.Name] = "model-00001-of-00002.safetensors"
		if i >= 2 {
			wm[tt.Name] = "model-00002-of-00002.safetensors"
		}
	}
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 1}, "weight_map": wm})
	os.WriteFile(filepath.Join(sd, "model.safetensors.index.json"), idx, 0o644)
	sh, err := OpenTensors(sd)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sh.Names(), s.Names()) {
		t.Fatal(sh.Names())
	}
	for _, n := range s.Names() {
		a, _ := s.ReadF32(n)
		b, err := sh.ReadF32(n)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: %v %v %v", n, a, b, err)
		}
	}
	if u, dt, err := sh.ReadU16("b.half"); err != nil || dt != tensor.F16 || !reflect.DeepEqual(u, halfs) {
		t.Fatal(u, dt, err)
	}
	sh.Close()
	// Index naming a tensor that is not in its shard.
	wm["ghost"] = "model-00001-of-00002.safetensors"
	idx, _ = json.Marshal(map[string]any{"weight_map": wm})
	os.WriteFile(filepath.Join(sd, "model.safetensors.index.json"), idx, 0o644)
	if _, err := OpenTensors(sd); err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("ghost tensor: %v", err)
	}
	delete(wm, "ghost")
	delete(wm, "a.f32")
	idx, _ = json.Marshal(map[string]any{"weight_map": wm})
	os.WriteFile(filepath.Join(sd, "model.safetensors.index.json"), idx, 0o644)
	if _, err := OpenTensors(sd); err == nil || !strings.Contains(err.Error(), "a.f32") {
		t.Fatalf("unmapped tensor: %v", err)
	}
	wm["a.f32"] = "../evil.safetensors"
	idx, _ = json.Marshal(map[string]any{"weight_map": wm})
	os.WriteFile(filepath.Join(sd, "model.safetensors.index.json"), idx, 0o644)
	if _, err := OpenTensors(sd); err == nil {
		t.Fatal("path traversal accepted")
	}
}

func TestWriteSafetensorsRejects(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.safetensors")
	bad := [][]Tensor{
		{{Name: "a", DType: tensor.F32, Shape: []int{2}, F32: []float32{1}}},
		{{Name: "a", DType: tensor.BF16, Shape: []int{1}, F32: []float32{1}}},
		{{Name: "a", DType: tensor.Q8_0, Shape: []int{32}}},
		{{Name: "a", DType: tensor.F32, Shape: []int{1}, F32: []float32{1}}, {Name: "a", DType: tensor.F32, Shape: []int{1}, F32: []float32{1}}},
		{{Name: "__metadata__", DType: tensor.F32, Shape: []int{1}, F32: []float32{1}}},
		{{Name: "bad\xffname", DType: tensor.F32, Shape: []int{1}, F32: []float32{1}}},
		{{Name: "a", DType: tensor.F32, Shape: []int{-1}, F32: []float32{}}},
	}
	for i, ts := range bad {
		if err := WriteSafetensors(p, ts); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("file created by failed writes")
	}
}

// stImage builds a safetensors image from a raw header string and data length.
func stImage(header string, data int) []byte {
	b := make([]byte, 8, 8+len(header)+data)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, data)...)
}

func TestSafetensorsMalformed(t *testing.T) {
	good := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	if _, err := ParseSafetensors(stImage(good, 8)); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"short":        {1, 2, 3},
		"hdr too long": func() []byte { b := stImage(good, 8); binary.LittleEndian.PutUint64(b, 1<<40); return b }(),
		"bad json":     stImage(`{"a":`, 8),
		"not object":   stImage(`[1,2]   `, 8),
		"trailing":     stImage(good+"xx", 8),
		"dtype":        stImage(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, 8),
		"size":         stImage(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8),
		"range":        stImage(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, 8),
		"reversed":     stImage(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, 8),
		"offsets":      stImage(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`, 8),
		"negative":     stImage(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, 8),
		"overflow":     stImage(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, 8),
		"overlap":      stImage(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12),
		"noshape":      stImage(`{"a":{"dtype":"F32","data_offsets":[0,0]}}`, 0),
		"metadata":     stImage(`{"__metadata__":{"a":1}}`, 0),
	}
	for name, img := range cases {
		if _, err := ParseSafetensors(img); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzSafetensorsHeader(f *testing.F) {
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`), uint16(8))
	f.Add([]byte(`{"__metadata__":{"format":"pt"},"w":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}`), uint16(8))
	f.Add([]byte(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"F16","shape":[1],"data_offsets":[1,3]}}`), uint16(4))
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[99999999999,99999999999],"data_offsets":[0,8]}}`), uint16(8))
	golden, err := os.ReadFile(filepath.Join(tinyDir, "model.safetensors"))
	if err == nil {
		n := binary.LittleEndian.Uint64(golden)
		f.Add(golden[8:8+n], uint16(1000))
	}
	f.Fuzz(func(t *testing.T, header []byte, data uint16) {
		img := stImage(string(header), int(data))
		s, err := ParseSafetensors(img)
		if err != nil {
			return
		}
		for _, n := range s.Names() {
			dt, shape, ok := s.Info(n)
			if !ok {
				t.Fatal("listed name without info")
			}
			v, err := s.ReadF32(n)
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			cnt := 1
			for _, d := range shape {
				cnt *= d
			}
			if len(v) != cnt {
				t.Fatalf("%s: %d values for shape %v %s", n, len(v), shape, dt)
			}
		}
	})
}

func TestOpenTensorsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "model.safetensors")
	os.WriteFile(bad, []byte("not a safetensors file"), 0o644)
	for _, p := range []string{bad, dir, filepath.Join(dir, "missing"), filepath.Join(tinyDir, "config.json"), t.TempDir()} {
		ts, err := OpenTensors(p)
		if err == nil || ts != nil {
			t.Errorf("%s: ts=%v err=%v", p, ts, err)
		}
	}
}

// TestChunkedRead checks the chunked decoders across chunk boundaries against decodeF32.
func TestChunkedRead(t *testing.T) {
	n := int64(readChunk/2 + 1000) // several chunks for every type
	raw := make([]byte, tensor.F32.Bytes(n)+8)
	for i := range raw {
		raw[i] = byte(i*7 + i>>9)
	}
	r := bytes.NewReader(raw)
	for _, dt := range []tensor.DType{tensor.F32, tensor.BF16, tensor.F16, tensor.Q8_0} {
		m := n
		if dt != tensor.F32 {
			m = n / 64 * 32
		}
		got, err := readF32At(r, 3, dt, m)
		if err != nil {
			t.Fatal(dt, err)
		}
		want := decodeF32(dt, raw[3:3+dt.Bytes(m)], int(m))
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(want[i] != want[i] && got[i] != got[i]) {
				t.Fatalf("%s [%d]: %g vs %g", dt, i, got[i], want[i])
			}
		}
	}
	u, err := readU16At(r, 1, 2*n)
	if err != nil {
		t.Fatal(err)
	}
	for i := range u {
		if u[i] != binary.LittleEndian.Uint16(raw[1+2*i:]) {
			t.Fatalf("u16 [%d]", i)
		}
	}
	if _, err := readF32At(r, int64(len(raw))-2, tensor.F32, 4); err == nil {
		t.Fatal("read past end succeeded")
	}
}
