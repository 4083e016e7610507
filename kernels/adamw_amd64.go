//go:build amd64 && !purego

package kernels

// avx512AdamW and avx2AdamW run the assembly kernel on the largest multiple
// of its width and the Go twin on the tail.

func avx512AdamW(w, g, m, v []float32, h AdamWHyper) {
	body := len(w) / 16 * 16
	if body > 0 {
		c := h.consts()
		adamwAVX512(&w[0], &g[0], &m[0], &v[0], body, &c)
	}
	if body < len(w) {
		adamwGeneric(w[body:], g[body:], m[body:], v[body:], h)
	}
}

func avx2AdamW(w, g, m, v []float32, h AdamWHyper) {
	body := len(w) / 8 * 8
	if body > 0 {
		c := h.consts()
		adamwAVX2(&w[0], &g[0], &m[0], &v[0], body, &c)
	}
	if body < len(w) {
		adamwGeneric(w[body:], g[body:], m[body:], v[body:], h)
	}
}
