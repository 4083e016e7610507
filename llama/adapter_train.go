package llama

import "github.com/popi-go/popi/nn"

// The training path of a view's adapter (see Trainable): project is the
// decoder block's linear step, plain nn.Linear / nn.LinearStack where no
// projection of the group is adapted (so a model without an adapter builds
// exactly the graph it always did), nn.LinearLoRA otherwise.

// project multiplies x by the weights ws (projections ps of layer i, in
// order), adding the layer's adapters on them. drop is the forward's
// dropout stream (0: no dropout).
func (t *Trainable) project(x *nn.Value, i int, drop uint64, ws []*nn.Value, ps ...int) *nn.Value {
	l := &t.Layers[i]
	var loras []*nn.LoRA
	for k, p := range ps {
		lo := l.LoRA[p]
		if lo == nil {
			continue
		}
		if loras == nil {
			loras = make([]*nn.LoRA, len(ps))
		}
		c := *lo
		if drop == 0 {
			c.Dropout = 0
		} else {
			c.Seed = mixSeed(drop, uint64(i*NumProj+p))
		}
		loras[k] = &c
	}
	switch {
	case loras != nil:
		return nn.LinearLoRA(x, ws, loras)
	case len(ws) == 1:
		return nn.Linear(x, ws[0])
	}
	return nn.LinearStack(x, ws...)
}

// dropoutStream returns the seed of this forward pass's LoRA dropout
// masks, or 0 when no dropout applies (no adapter, zero lora_dropout, Eval,
// or no graph being recorded). Each call that returns a stream advances
// the counter, so successive training steps draw new masks.
func (t *Trainable) dropoutStream() uint64 {
	a := t.Model.adapter
	if a == nil || a.Config.Dropout == 0 || t.Eval || !nn.GradEnabled() {
		return 0
	}
	t.dropCalls++
	return mixSeed(t.DropoutSeed, t.dropCalls) | 1
}

// mixSeed hashes two words into one (SplitMix64 finaliser).
func mixSeed(a, b uint64) uint64 {
	z := a ^ (b+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
