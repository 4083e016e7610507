package popi

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/rl"
)

// The policy flop count follows the rows the passes ran: 6 flops a weight and row for full
// fine-tuning (4 for adapters), the head on the completion rows only, and the hardware
// count adds the recomputed forward of checkpointed blocks.
func TestStageTimesPolicyFlops(t *testing.T) {
	f := getFixture(t)
	m := f.model(t, 1)
	view, err := adapterView(m, llama.AdapterConfig{R: 2, Alpha: 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	blocks, head := float64(blockParams(m)), float64(headParams(m))
	if blocks <= 0 || head <= 0 || int64(blocks+head) != matmulParams(m) {
		t.Fatalf("block params %v, head params %v, matmul params %d", blocks, head, matmulParams(m))
	}
	for _, c := range []struct {
		m      *llama.Model
		perRow float64
	}{{m, 6}, {view, 4}} {
		st := stageTimes{policy: 2 * time.Second}
		st.policyRows.add(passRows{blocks: 100, head: 10, recomputed: true})
		st.policyRows.add(passRows{blocks: 50, head: 5})
		out := map[string]float64{}
		st.metrics(out, c.m, m, 0, 0)
		model := c.perRow * (blocks*150 + head*15)
		hw := model + 2*blocks*100
		if math.Abs(out["flops_policy"]-model) > 1e-9*model || math.Abs(out["flops_policy_hw"]-hw) > 1e-9*hw {
			t.Errorf("per row %v: flops %v / %v, want %v / %v", c.perRow, out["flops_policy"], out["flops_policy_hw"], model, hw)
		}
		if g := out["policy_gflops"]; math.Abs(g-model/2/1e9) > 1e-9*g || out["rows_policy"] != 150 {
			t.Errorf("per row %v: %v GFLOP/s, %v rows", c.perRow, g, out["rows_policy"])
		}
	}
}

// LMPolicy.LogProbs records the rows its pass ran: every sequence whole on the tiny model
// (SeparatePrompts), the shared prompt once when packing is on.
func TestPolicyRecordsPassRows(t *testing.T) {
	f := getFixture(t)
	p, _ := NewLMPolicy(f.model(t, 1), f.Enc)
	prompt := []int{1, 2, 3, 4, 5, 6, 7, 8}
	batch := []rl.Sequence{{Prompt: prompt, Completion: []int{9, 10, 11}}, {Prompt: prompt, Completion: []int{12, 13}}}
	for _, separate := range []bool{true, false} {
		p.Trainable().SeparatePrompts = separate
		if _, _, err := p.LogProbs(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		want := int64(2 * 11) // two rows of 8+3 (padded)
		if !separate {
			want = 8 + 2*2 // the prompt once, each completion but its last token, padded to 2
		}
		if p.lastPass.blocks != want || p.lastPass.head != 5 {
			t.Errorf("separate=%v: %d block rows, %d head rows; want %d, 5", separate, p.lastPass.blocks, p.lastPass.head, want)
		}
	}
}
