package llama

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popi-go/popi/tensor"
)

// quantTestConfig is a small model whose rows split into whole 256-value
// blocks (so every K format applies): hidden 256, 4 heads of 64, 2 KV
// heads, SwiGLU 256, 2 layers, vocab 384, tied.
func quantTestConfig(tied bool) *Config {
	return &Config{
		Hidden: 256, Intermediate: 256, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 64, Vocab: 384,
		RMSNormEps: 1e-5, RopeTheta: 500000, MaxPositions: 256, TieWordEmbeddings: tied,
		BOS: 1, EOS: []int{2},
	}
}

// writeQuantModel writes a random model as a GGUF quantized by mix and
// returns the model, the path and its load.
func writeQuantModel(t *testing.T, tied bool, mix QuantMix) (*Model, string, *Model) {
	t.Helper()
	m, err := NewRandom(quantTestConfig(tied), 7)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := SyntheticTokenizer(m.Config.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), string(mix)+".gguf")
	if err := WriteGGUF(path, m, tok, GGUFWriteOptions{WeightType: string(mix)}); err != nil {
		t.Fatal(err)
	}
	q, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m, path, q
}

// TestQuantizedGGUFRoundTrip: a model written with each mix loads with its
// matrices still quantized, of the types the mix prescribes, holding the
// blocks that quantizing the model in memory gives (so the writer's and
// the reader's Q/K row permutations cancel), with Q/K/V and gate/up fused
// as views of the load buffer; its logits stay close to the float model's.
func TestQuantizedGGUFRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		mix  QuantMix
		tied bool
		tol  float64 // RMS of the logit differences relative to the logits' RMS
	}{
		{MixQ8_0, true, 0.02}, {MixQ4_0, false, 0.3}, {MixQ4_KM, true, 0.25}, {MixQ4_KM, false, 0.25},
	} {
		t.Run(string(tc.mix), func(t *testing.T) {
			m, _, q := writeQuantModel(t, tc.tied, tc.mix)
			want := m.Clone()
			if err := want.Quantize(tc.mix); err != nil {
				t.Fatal(err)
			}
			names := map[string]*Matrix{}
			q.forEachMatrix(func(name string, w *Matrix) { names[name] = w })
			want.forEachMatrix(func(name string, w *Matrix) {
				g := names[name]
				if g == nil || g.DType != w.DType || !bytes.Equal(g.Q, w.Q) {
					t.Fatalf("%s: loaded %v, in-memory quantization %v (or different blocks)", name, g.DType, w.DType)
				}
			})
			if tc.mix == MixQ4_KM {
				if q.Embed.DType != tensor.Q6_K && tc.tied || q.Layers[1].V.DType != tensor.Q6_K || q.Layers[0].V.DType != tensor.Q4_K ||
					q.Layers[1].Down.DType != tensor.Q6_K || q.Layers[0].Gate.DType != tensor.Q4_K {
					t.Fatalf("Q4_K_M mix: embed %v, V %v/%v, down %v, gate %v", q.Embed.DType, q.Layers[0].V.DType, q.Layers[1].V.DType, q.Layers[1].Down.DType, q.Layers[0].Gate.DType)
				}
				if !tc.tied && (q.LMHead.DType != tensor.Q6_K || q.Embed.DType != tensor.Q4_K) {
					t.Fatalf("untied Q4_K_M: output %v, embeddings %v", q.LMHead.DType, q.Embed.DType)
				}
			}
			for i := range q.Layers {
				l := &q.Layers[i]
				if !aliases(&l.gateUp, &l.Gate, &l.Up) || unsafeSameStart(l.gateUp.Q, l.Gate.Q) == false {
					t.Fatalf("layer %d: gate/up not fused as a view", i)
				}
				if l.Q.DType == l.V.DType && !aliases(&l.qkv, &l.Q, &l.K, &l.V) {
					t.Fatalf("layer %d: q/k/v of one type not fused", i)
				}
			}
			compareLogits(t, m, q, tc.tol)
		})
	}
}

func unsafeSameStart(a, b []byte) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }

// compareLogits runs a prefill of 24 tokens (the dequantized-panel GEMM)
// and 4 decode steps (the integer dot products) through both models and
// bounds the RMS of the logit differences by tol times the logits' RMS
// (and the largest difference by 8 times that RMS).
func compareLogits(t *testing.T, ref, q *Model, tol float64) {
	t.Helper()
	toks := make([]int, 24)
	for i := range toks {
		toks[i] = (i*37 + 5) % ref.Config.Vocab
	}
	run := func(m *Model) [][]float32 {
		r := m.NewRunner()
		c := m.NewKVCache(64)
		var out [][]float32
		s := []Seq{{Cache: c, Tokens: toks, AllLogits: true}}
		if err := r.Forward(s); err != nil {
			t.Fatal(err)
		}
		for i := range toks {
			out = append(out, append([]float32(nil), s[0].Logits[i*m.Config.Vocab:(i+1)*m.Config.Vocab]...))
		}
		for j := 0; j < 4; j++ {
			s := []Seq{{Cache: c, Tokens: []int{toks[j]}}}
			if err := r.Forward(s); err != nil {
				t.Fatal(err)
			}
			out = append(out, append([]float32(nil), s[0].Logits...))
		}
		return out
	}
	a, b := run(ref), run(q)
	var maxd, ss, sd float64
	n := 0
	for i := range a {
		for j := range a[i] {
			e := float64(a[i][j] - b[i][j])
			maxd = max(maxd, math.Abs(e))
			ss += float64(a[i][j]) * float64(a[i][j])
			sd += e * e
			n++
		}
	}
	rms, rmsd := math.Sqrt(ss/float64(n)), math.Sqrt(sd/float64(n))
	t.Logf("logit RMS %.4g; differences: RMS %.4g (ratio %.4f), max %.4g", rms, rmsd, rmsd/rms, maxd)
	if !(rmsd <= tol*rms) || !(maxd <= 8*rmsd) || rmsd == 0 {
		t.Fatalf("logit differences: RMS %g (bound %g x %g), max %g", rmsd, tol, rms, maxd)
	}
}

// TestQuantizedGGUFBadInput: truncated blocks, an Inf block scale and an
// unsupported ggml type give errors naming the problem.
func TestQuantizedGGUFBadInput(t *testing.T) {
	_, path, _ := writeQuantModel(t, true, MixQ4_KM)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseGGUF(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var last, q6 GGUFTensorInfo
	for _, ti := range g.Tensors {
		if ti.Offset > last.Offset {
			last = ti
		}
		if ti.DType == tensor.Q6_K {
			q6 = ti
		}
	}
	load := func(b []byte) error {
		p := filepath.Join(t.TempDir(), "bad.gguf")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p, LoadOptions{})
		return err
	}
	if err := load(raw[:last.Offset+last.Size-1]); err == nil || !strings.Contains(err.Error(), "beyond end of file") {
		t.Fatalf("truncated blocks: %v", err)
	}
	bad := append([]byte(nil), raw...)
	binary.LittleEndian.PutUint16(bad[q6.Offset+210+208:], 0x7c00) // second block's d = +Inf
	if err := load(bad); err == nil || !strings.Contains(err.Error(), "Inf or NaN") {
		t.Fatalf("Inf scale: %v", err)
	}
	if _, err := ggmlDType(6); err == nil || !strings.Contains(err.Error(), "unsupported ggml tensor type 6") {
		t.Fatalf("Q5_0: %v", err)
	}
	// a Q4_K row length that is not a multiple of 256 is refused by the parser
	b := smallLlamaGGUF(3, ggmlQ4_K, make([]byte, 64*144/4))
	if _, err := ParseGGUF(bytes.NewReader(b), int64(len(b))); err == nil || !strings.Contains(err.Error(), "not a multiple of 256") {
		t.Fatalf("Q4_K rows of 64: %v", err)
	}
}

// TestQuantizeWeightType: LoadOptions.WeightType q8_0 quantizes a float
// model at load, the same blocks as Model.Quantize.
func TestQuantizeWeightType(t *testing.T) {
	m, err := Load(tinyDir, LoadOptions{WeightType: "q8_0"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Layers[0].Q.DType != tensor.Q8_0 || m.Layers[0].Down.DType != tensor.F16 {
		// intermediate 176 is not a multiple of 32: down falls back to F16 as llama.cpp does
		t.Fatalf("q8_0 load: Q %v, down %v", m.Layers[0].Q.DType, m.Layers[0].Down.DType)
	}
	if _, err := ParseQuantMix("q5_k"); err == nil {
		t.Fatal("ParseQuantMix accepted q5_k")
	}
}

// TestQuantizedScoreAndTrainable: scoring runs on a quantized model (prefix-shared prefill
// through the dequantized panels) and agrees with the float model within the quantization
// error, and Trainable takes a quantized model (its matrices as frozen constants).
func TestQuantizedScoreAndTrainable(t *testing.T) {
	m, _, q := writeQuantModel(t, true, MixQ8_0)
	prompt := []int{5, 9, 13, 17, 21, 25, 29, 33}
	conts := [][]int{{40, 41, 42}, {50, 51}}
	a, err := m.Score(prompt, conts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.Score(prompt, conts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if math.Abs(a[i].LogProb-b[i].LogProb) > 0.05*math.Abs(a[i].LogProb)+0.05 || a[i].LogProb == b[i].LogProb {
			t.Fatalf("continuation %d: log-prob %g (f32) vs %g (Q8_0)", i, a[i].LogProb, b[i].LogProb)
		}
	}
	tr := q.Trainable()
	if tr == nil || len(tr.Layers) != len(q.Layers) {
		t.Fatal("no trainable view of the quantized model")
	}
}
