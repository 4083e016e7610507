package llama

import "github.com/popi-go/popi/kernels"

// The inference forward pass with a view's adapter (Runner.layer): after
// each adapted projection's base GEMM, addLoRA adds the low-rank term into
// that projection's columns of the output (its slice of the fused Q/K/V or
// gate/up rows, or the residual stream for o_proj and down_proj). It is
// two thin GEMMs (two GEMVs when decoding one token). Without an adapter
// nothing here runs, so a base model's logits are unchanged.

// addLoRA computes y[:, :w.Out] += scale·(x·Aᵀ)·Bᵀ for n rows of x
// (w.In wide, packed) into y (row stride ldy).
func (r *Runner) addLoRA(w *LoRAWeights, scale float32, n int, x, y []float32, ldy int) {
	if w == nil || n == 0 {
		return
	}
	if need := n * w.R; cap(r.loraT) < need {
		r.loraT = make([]float32, need)
	}
	t := r.loraT[:n*w.R]
	kernels.Sgemm(false, true, n, w.R, w.In, 1, x, w.In, w.A, w.In, 0, t, w.R)
	kernels.Sgemm(false, true, n, w.Out, w.R, scale, t, w.R, w.B, w.R, 1, y, ldy)
}

// adapterLayer returns layer l's adapters and the scale, or nil.
func (r *Runner) adapterLayer(l int) (*[NumProj]*LoRAWeights, float32) {
	a := r.m.adapter
	if a == nil {
		return nil, 0
	}
	return &a.Layers[l], a.Config.Scale()
}
