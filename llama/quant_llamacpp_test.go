package llama

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/popi-go/popi/kernels"
)

// llama/testdata/quant (scripts/quantref/llamacpp_quantize.sh): the model of quantTestConfig(true)
// with NewRandom seed 7, written as f32 GGUF and quantized by llama.cpp's own llama_model_quantize
// to Q8_0 and Q4_K_M, with the first two rows of every matrix as llama.cpp dequantizes them.

func readDeqRef(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	out := map[string][]float32{}
	for len(b) > 0 {
		n := int(le.Uint32(b))
		name := string(b[4 : 4+n])
		cnt := int(le.Uint32(b[4+n:]))
		v := make([]float32, cnt)
		for i := range v {
			v[i] = math.Float32frombits(le.Uint32(b[8+n+4*i:]))
		}
		out[name] = v
		b = b[8+n+4*cnt:]
	}
	return out
}

// TestLlamaCppQuantizedFiles: in the GGUFs llama.cpp's quantizer wrote, (1) every matrix
// dequantizes (our DequantizeRow on its stored blocks) to llama.cpp's values bit for bit,
// (2) every tensor has the type our QuantMix chooses, and (3) its bytes are exactly those of
// our writer quantizing the same model (WriteGGUF with the mix): quantization bit-identical
// to llama-quantize, the Q4_K_M type mix included; the files load and run.
func TestLlamaCppQuantizedFiles(t *testing.T) {
	m, err := NewRandom(quantTestConfig(true), 7)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := SyntheticTokenizer(m.Config.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	for _, mix := range []QuantMix{MixQ8_0, MixQ4_KM} {
		t.Run(string(mix), func(t *testing.T) {
			path := filepath.Join("testdata", "quant", string(mix)+".gguf")
			ref, err := OpenGGUF(path)
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			deq := readDeqRef(t, filepath.Join("testdata", "quant", string(mix)+".deq.bin"))
			ours := filepath.Join(t.TempDir(), "ours.gguf")
			if err := WriteGGUF(ours, m, tok, GGUFWriteOptions{WeightType: string(mix)}); err != nil {
				t.Fatal(err)
			}
			g, err := OpenGGUF(ours)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			checked := 0
			for _, ti := range ref.Tensors {
				if len(ti.Dims) != 2 {
					continue
				}
				raw, err := ref.ReadRaw(ti.Name)
				if err != nil {
					t.Fatal(err)
				}
				want, ok := deq[ti.Name]
				if !ok {
					t.Fatalf("%s: no reference values", ti.Name)
				}
				got := make([]float32, len(want))
				kernels.DequantizeRow(ti.DType.Quant(), got, raw[:ti.DType.Bytes(int64(len(want)))])
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s value %d: %g, llama.cpp %g", ti.Name, i, got[i], want[i])
					}
				}
				role, layer := ggufRole(ti.Name)
				if dt := mix.typeFor(role, layer, m.Config.Layers, int(ti.Dims[0]), true); dt != ti.DType {
					t.Fatalf("%s: llama.cpp chose %v, our mix %v", ti.Name, ti.DType, dt)
				}
				mine, err := g.ReadRaw(ti.Name)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(mine, raw) {
					t.Fatalf("%s (%v): our blocks differ from llama.cpp's", ti.Name, ti.DType)
				}
				checked++
			}
			if checked != 1+7*m.Config.Layers {
				t.Fatalf("checked %d matrices", checked)
			}
			q, err := Load(path, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			compareLogits(t, m, q, map[QuantMix]float64{MixQ8_0: 0.02, MixQ4_KM: 0.25}[mix])
		})
	}
}
