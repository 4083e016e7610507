package llama

import (
	"math"
	"testing"

	"github.com/popi-go/popi/nn"
)

// The LoRA golden (testdata/lora, gen_lora_golden.py): a PEFT-layout
// adapter on golden_tiny and a hand-written PyTorch model's logits and
// adapter gradients.
const loraGoldenDir = "testdata/lora"

func loraGoldenView(t testing.TB, opts LoadOptions) (*Model, *Model) {
	t.Helper()
	base := loadGolden(t, ".", opts)
	a, err := LoadAdapter(loraGoldenDir+"/adapter", base.Config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := base.WithAdapter(a)
	if err != nil {
		t.Fatal(err)
	}
	return base, v
}

// relErr is max |a-b| relative to max |b|.
func relErr(a, b []float32) float64 {
	var ref float64
	for _, v := range b {
		ref = max(ref, math.Abs(float64(v)))
	}
	return maxAbsDiff(a, b) / max(ref, 1e-30)
}

// Runner and Trainable logits with the golden adapter match PyTorch's.
func TestLoRAGoldenLogits(t *testing.T) {
	_, v := loraGoldenView(t, LoadOptions{})
	seqs := goldenInputs(t)
	tm := v.Trainable()
	tm.Eval = true
	for i := 0; i < 2; i++ {
		want, _ := readGolden(t, loraGoldenDir+"/logits.safetensors", "logits_"+string(rune('0'+i)))
		got := fullLogits(t, v, seqs[i])
		rel := relErr(got, want)
		t.Logf("sequence %d: Runner logits vs PyTorch: relative error %.3g", i, rel)
		if rel > 1e-5 {
			t.Errorf("sequence %d: Runner logits relative error %.3g > 1e-5", i, rel)
		}
		var lg *nn.Value
		nn.NoGrad(func() {
			var err error
			if lg, err = tm.Logits([][]int{seqs[i]}); err != nil {
				t.Fatal(err)
			}
		})
		trel := relErr(lg.Data, want)
		t.Logf("sequence %d: Trainable logits vs PyTorch: relative error %.3g; vs Runner %.3g", i, trel, relErr(lg.Data, got))
		if trel > 1e-5 || relErr(lg.Data, got) > 1e-5 {
			t.Errorf("sequence %d: Trainable logits relative error %.3g (vs Runner %.3g)", i, trel, relErr(lg.Data, got))
		}
	}
}

// The adapter gradients of the next-token loss match PyTorch's, with and
// without checkpointing and the fused head; the base gets no gradient.
func TestLoRAGoldenGradients(t *testing.T) {
	seq := goldenInputs(t)[1]
	for _, tc := range []struct {
		name             string
		checkpoint, head bool
	}{{"plain", false, false}, {"checkpoint", true, false}, {"fused-head", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.head {
				old := fusedHeadElems
				fusedHeadElems = 1
				defer func() { fusedHeadElems = old }()
			}
			_, v := loraGoldenView(t, LoadOptions{})
			tm := v.Trainable()
			tm.Checkpoint = tc.checkpoint
			loss, err := tm.NextTokenLoss([][]int{seq})
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(float64(loss.Item()) - 6.407029877331576); d > 2e-5 {
				t.Errorf("loss %.7f, PyTorch 6.4070299", loss.Item())
			}
			if err := loss.Backward(); err != nil {
				t.Fatal(err)
			}
			checkGrads(t, tm, loraGoldenDir+"/grads.safetensors", 2e-5)
			for _, l := range tm.Layers {
				for _, w := range []*nn.Value{l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down, l.AttnNorm, l.MLPNorm} {
					if w.RequiresGrad || w.Grad != nil {
						t.Fatalf("base weight %s got a gradient", w.Name)
					}
				}
			}
			if tm.Embed.Grad != nil || tm.Norm.Grad != nil {
				t.Fatal("embedding or final norm got a gradient")
			}
		})
	}
}
