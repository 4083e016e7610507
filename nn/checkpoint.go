package nn

// Checkpoint runs fn(in) without recording its graph and records a single
// node instead; in backward it recomputes fn on detached copies of the
// inputs with recording on and back-propagates through the recomputed
// graph. Gradients reach both the inputs and any parameters fn captures.
// Memory held between forward and backward is the inputs and the output
// only (activation checkpointing of, e.g., one transformer block). fn must
// be deterministic.
func Checkpoint(fn func(in []*Value) *Value, in ...*Value) *Value {
	var y *Value
	NoGrad(func() { y = fn(in) })
	out := &Value{Data: y.Data, Shape: y.Shape, op: "checkpoint", bad: y.bad}
	for _, p := range in {
		if out.bad == "" && p.bad != "" {
			out.bad = p.bad
		}
	}
	if !GradEnabled() {
		return out
	}
	out.RequiresGrad = true
	out.parents = in
	out.backward = func() {
		det := make([]*Value, len(in))
		for i, p := range in {
			det[i] = &Value{Data: p.Data, Shape: p.Shape, half: p.half, q: p.q, RequiresGrad: p.RequiresGrad, op: "checkpoint_input"}
		}
		z := fn(det)
		if z.RequiresGrad {
			if err := z.BackwardWith(out.Grad); err != nil {
				out.bwErr = err
				return
			}
		}
		for i, p := range in {
			if p.RequiresGrad && det[i].Grad != nil {
				g := p.grad()
				for j, v := range det[i].Grad {
					g[j] += v
				}
			}
		}
	}
	return out
}
