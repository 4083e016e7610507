package llama

import (
	"fmt"
	"slices"

	"github.com/popi-go/popi/kernels"
	"github.com/popi-go/popi/tensor"
)

// WithAdapter returns a view of m's weights running adapter a (nil: the
// base alone). The view shares every base matrix, norm and table with m,
// and the adapter's matrices with a: making it copies no weights, and any
// number of views of one base coexist — for POPI, the summary writer
// (base.WithAdapter(phi)), its reference (base.WithAdapter(nil)) and the
// generator (base.WithAdapter(theta)) hold one copy of the base between
// them. Everything that takes a *Model works on a view: NewRunner,
// Generate, Score, NewKVCache, Trainable.
//
// A view's base weights are frozen: its Trainable wraps them (f32
// included) as constants and its Params are the adapter's A and B only;
// with a nil adapter it has no parameters. Optimizer steps on those
// parameters update a's storage, so every Runner of every view using a
// sees them at once. A view of a view replaces the adapter (same base).
//
// With a nil adapter inference is bit for bit that of m. The base must not
// be modified (ConvertWeights, loading into it) while views are in use;
// ConvertWeights on a view converts the view's own copy of the matrices.
func (m *Model) WithAdapter(a *Adapter) (*Model, error) {
	if a != nil {
		if err := a.check(m.dims); err != nil {
			return nil, err
		}
	}
	v := *m
	v.Layers = slices.Clone(m.Layers)
	if m.dims.tied {
		v.LMHead = &v.Embed
	} else {
		h := *m.LMHead
		v.LMHead = &h
	}
	v.adapter, v.frozen = a, true
	return &v, nil
}

// Adapter returns the view's adapter (nil for a base model or a view
// without one).
func (m *Model) Adapter() *Adapter { return m.adapter }

// IsView reports whether m is a view made by WithAdapter (frozen base).
func (m *Model) IsView() bool { return m.frozen }

// Merge returns a standalone model (not a view) whose matrices are the
// view's with its adapter folded in: W + scale·B·A for every adapted
// projection, the product and the sum computed in float32. A 16-bit base
// stays 16-bit: each merged weight is then the float32 sum rounded to
// nearest even in the stored type (one rounding per weight, as storing
// any bf16/f16 model does; relative error at most 2^-9 for bf16, 2^-12 for
// f16), so the merged model reproduces the adapter's logits up to that
// rounding, and within float32 rounding for an f32 base. Every weight is
// copied (the base is untouched). Without an adapter Merge is a plain copy.
func (m *Model) Merge() (*Model, error) {
	c := m.Clone()
	a := c.adapter
	c.adapter, c.frozen = nil, false
	if a == nil {
		return c, nil
	}
	if err := c.fold(a); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadMerged loads the base model at path (as Load) and the PEFT adapter in
// adapterDir, and returns the base with the adapter merged in (as Merge,
// but in place: no second copy of the weights), for example to export it.
func LoadMerged(path, adapterDir string, opts LoadOptions) (*Model, error) {
	m, err := Load(path, opts)
	if err != nil {
		return nil, err
	}
	a, err := LoadAdapter(adapterDir, m.Config)
	if err != nil {
		return nil, err
	}
	if err := a.check(m.dims); err != nil {
		return nil, err
	}
	if err := m.fold(a); err != nil {
		return nil, err
	}
	return m, nil
}

// fold adds a's low-rank products into m's matrices, in place (see Merge).
func (m *Model) fold(a *Adapter) error {
	scale := a.Config.Scale()
	var delta []float32
	var err error
	a.each(func(l, p int, w *LoRAWeights) {
		if err != nil {
			return
		}
		dst := m.Layers[l].proj(p)
		if dst.Rows != w.Out || dst.Cols != w.In {
			err = fmt.Errorf("llama: merge: layer %d %s is [%d, %d], the adapter [%d, %d]", l, LoRATargets[p], dst.Rows, dst.Cols, w.Out, w.In)
			return
		}
		n := w.Out * w.In
		if cap(delta) < n {
			delta = make([]float32, n)
		}
		delta = delta[:n]
		// delta = W + scale·B·A, W widened to f32 (exact).
		if dst.DType == tensor.F32 {
			copy(delta, dst.F32)
		} else {
			dst.DType.ToF32(delta, dst.U16)
		}
		kernels.Sgemm(false, false, w.Out, w.In, w.R, scale, w.B, w.R, w.A, w.In, 1, delta, w.In)
		if !isFinite(delta) {
			err = fmt.Errorf("llama: merge: layer %d %s overflows", l, LoRATargets[p])
			return
		}
		if dst.DType == tensor.F32 {
			copy(dst.F32, delta) // in place: the fused buffers stay valid
		} else if dst.DType.FromF32(dst.U16, delta); !halfFinite(dst.U16, dst.DType) {
			err = fmt.Errorf("llama: merge: layer %d %s overflows %s", l, LoRATargets[p], dst.DType)
		}
	})
	return err
}

// proj returns the layer's matrix of projection p.
func (l *Layer) proj(p int) *Matrix {
	switch p {
	case ProjQ:
		return &l.Q
	case ProjK:
		return &l.K
	case ProjV:
		return &l.V
	case ProjO:
		return &l.O
	case ProjGate:
		return &l.Gate
	case ProjUp:
		return &l.Up
	}
	return &l.Down
}
