package llama

import "fmt"

// CheckFinite returns an error naming the first weight tensor (by its Hugging Face name)
// that holds a NaN or an infinity. Load refuses such tensors, so Save refuses to write
// them: a model directory that cannot be loaded back never replaces a good one.
func (m *Model) CheckFinite() error {
	var bad string
	m.forEachMatrix(func(name string, w *Matrix) {
		if bad == "" && (!isFinite(w.F32) || !halfFinite(w.U16, w.DType)) {
			bad = name
		}
	})
	m.forEachNorm(func(name string, w []float32) {
		if bad == "" && !isFinite(w) {
			bad = name
		}
	})
	if bad != "" {
		return fmt.Errorf("llama: tensor %s contains NaN or Inf", bad)
	}
	return nil
}
