package llama

import (
	"math"
	"strings"
	"testing"

	"github.com/popi-go/popi/nn"
)

// sharedPromptBatch has a prompt shared by three completions of different lengths
// (one of a single token), a prompt of its own, and a prompt shared by a completion and
// an empty one, interleaved.
func sharedPromptBatch() []TrainSeq {
	p1 := []int{1, 17, 33, 49, 65, 81, 97}
	p2 := []int{1, 5, 9}
	p3 := []int{1, 200, 201, 202, 203}
	return []TrainSeq{
		{Prompt: p1, Completion: []int{3, 4, 5, 6, 7}},
		{Prompt: p2, Completion: []int{8, 9, 10, 11}},
		{Prompt: p1, Completion: []int{12, 13, 14}},
		{Prompt: p3, Completion: []int{15, 16}},
		{Prompt: p1, Completion: []int{18}},
		{Prompt: p3, Completion: nil},
	}
}

// completionGrads runs CompletionLogProbs on seqs (prompts shared or not) and a backward
// pass with fixed per-token gradients, and returns the log-probs and every parameter's
// gradient, concatenated.
func completionGrads(t *testing.T, m *Model, seqs []TrainSeq, separate, ckpt bool, temp float64) ([][]float64, []float32) {
	t.Helper()
	tm := m.Trainable()
	tm.SeparatePrompts, tm.Checkpoint = separate, ckpt
	for _, p := range tm.Params() {
		p.ZeroGrad()
	}
	lp, err := tm.CompletionLogProbs(seqs, temp)
	if err != nil {
		t.Fatal(err)
	}
	toks := lp.Tokens()
	dlp := make([][]float64, len(toks))
	for i, row := range toks {
		dlp[i] = make([]float64, len(row))
		for j := range row {
			dlp[i][j] = math.Cos(float64(3*i + j))
		}
	}
	if err := lp.Backward(dlp); err != nil {
		t.Fatal(err)
	}
	var g []float32
	for _, p := range tm.Params() {
		g = append(g, p.Grad...)
	}
	return toks, g
}

// Sequences sharing a prompt get the log-probs and gradients of running each sequence
// whole: full fine-tuning of an f32 model and a LoRA view of a bf16 one, with and without
// activation checkpointing, at temperature 1 and 0.7.
func TestSharedPromptsMatchSeparate(t *testing.T) {
	full := loadGolden(t, ".", LoadOptions{})
	view := randomAdapterView(t, loadGolden(t, "bf16", LoadOptions{}), AdapterConfig{R: 4, Alpha: 8}, 5)
	seqs := sharedPromptBatch()
	if _, shared := packPrompts(seqs); !shared {
		t.Fatal("the batch should pack")
	}
	for name, m := range map[string]*Model{"f32 full": full, "bf16 LoRA": view} {
		for _, ckpt := range []bool{false, true} {
			for _, temp := range []float64{1, 0.7} {
				lpS, gS := completionGrads(t, m, seqs, true, ckpt, temp)
				lpP, gP := completionGrads(t, m, seqs, false, ckpt, temp)
				for i := range lpS {
					if len(lpS[i]) != len(lpP[i]) || len(lpS[i]) != len(seqs[i].Completion) {
						t.Fatalf("%s: sequence %d: %d log-probs packed, %d separate", name, i, len(lpP[i]), len(lpS[i]))
					}
					for j := range lpS[i] {
						if d := math.Abs(lpS[i][j] - lpP[i][j]); d > 1e-5*(1+math.Abs(lpS[i][j])) {
							t.Errorf("%s ckpt=%v T=%v: sequence %d token %d: log-prob %.7f packed, %.7f separate", name, ckpt, temp, i, j, lpP[i][j], lpS[i][j])
						}
					}
				}
				scale := 0.0
				for _, v := range gS {
					scale = math.Max(scale, math.Abs(float64(v)))
				}
				if scale == 0 || len(gS) != len(gP) {
					t.Fatalf("%s: %d/%d gradients, scale %g", name, len(gP), len(gS), scale)
				}
				worst := 0.0
				for i := range gS {
					worst = math.Max(worst, math.Abs(float64(gS[i]-gP[i])))
				}
				if worst > 1e-4*scale {
					t.Errorf("%s ckpt=%v T=%v: gradients differ by %.3g (scale %.3g)", name, ckpt, temp, worst, scale)
				}
			}
		}
	}
}

// The packed pass runs fewer rows: one group of 4 completions of 6 tokens after a 40-token
// prompt costs 40 + 4·5 rows instead of 4·46, and a batch without a shared prompt is not
// packed.
func TestPackPromptsLayout(t *testing.T) {
	prompt := make([]int, 40)
	seqs := make([]TrainSeq, 4)
	for i := range seqs {
		seqs[i] = TrainSeq{Prompt: prompt, Completion: []int{1, 2, 3, 4, 5, 6}}
	}
	groups, shared := packPrompts(seqs)
	if !shared || len(groups) != 1 || groups[0].contLen != 5 || len(groups[0].members) != 4 {
		t.Fatalf("groups %+v shared %v", groups, shared)
	}
	if _, shared := packPrompts([]TrainSeq{{Prompt: []int{1}}, {Prompt: []int{2}}}); shared {
		t.Error("distinct prompts reported as shared")
	}
}

// Bad tokens and lengths are errors on the packed path too.
func TestSharedPromptsErrors(t *testing.T) {
	m := loadGolden(t, ".", LoadOptions{})
	tm := m.Trainable()
	V := m.Config.Vocab
	bad := []TrainSeq{{Prompt: []int{1, 2}, Completion: []int{3}}, {Prompt: []int{1, 2}, Completion: []int{V}}}
	if _, err := tm.CompletionLogProbs(bad, 1); err == nil || !strings.Contains(err.Error(), "outside the vocabulary") {
		t.Errorf("token id %d: err %v", V, err)
	}
	long := make([]int, m.Config.MaxPositions+1)
	if _, err := tm.CompletionLogProbs([]TrainSeq{{Prompt: long[:2], Completion: long[2:]}, {Prompt: long[:2], Completion: []int{1}}}, 1); err == nil {
		t.Error("a sequence beyond max_position_embeddings was accepted")
	}
	nn.NoGrad(func() {
		if _, err := tm.CompletionLogProbs(sharedPromptBatch(), 1); err != nil {
			t.Errorf("without a graph: %v", err)
		}
	})
}
