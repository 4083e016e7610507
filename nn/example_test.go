package nn_test

import (
	"fmt"

	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/tensor"
)

// A linear model y = x·Wᵀ fitted with AdamW, a warm-up/cosine schedule and
// gradient clipping.
func Example() {
	w := nn.Param(tensor.Zeros(1, 2))
	w.Name = "w"
	x := nn.FromSlice([]float32{1, 0, 0, 1, 1, 1, 2, -1}, 4, 2)
	target := nn.FromSlice([]float32{3, -2, 1, 8}, 4, 1) // W = [3 -2]
	opt := nn.NewAdamW(nn.AdamWConfig{}, nn.ParamGroup{Params: []*nn.Value{w}})
	sched := nn.WarmupCosine{Peak: 0.1, Final: 0.001, Warmup: 20, Total: 600}
	for step := 0; step < 600; step++ {
		opt.ZeroGrad()
		diff := nn.Sub(nn.Linear(x, w), target)
		loss := nn.Mean(nn.Mul(diff, diff))
		if err := loss.Backward(); err != nil {
			panic(err)
		}
		if _, err := nn.ClipGradNorm([]*nn.Value{w}, 10); err != nil {
			panic(err)
		}
		if err := opt.Step(sched.LR(step)); err != nil {
			panic(err)
		}
	}
	fmt.Printf("W = [%.2f %.2f]\n", w.Data[0], w.Data[1])
	// Output: W = [3.00 -2.00]
}
