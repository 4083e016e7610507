//go:build amd64 && !purego

package kernels

// AdamW kernels in adamw_amd64.s: n elements, n a multiple of 16 (AVX-512)
// or 8 (AVX2); multiplies and adds are separate instructions (no FMA), as
// in adamwGeneric.

//go:noescape
func adamwAVX512(wp, gp, mp, vp *float32, n int, c *adamwConsts)

//go:noescape
func adamwAVX2(wp, gp, mp, vp *float32, n int, c *adamwConsts)

// adamwUpdate runs the active path's kernel on the largest multiple of its
// width and the Go twin on the tail.
func adamwUpdate(w, g, m, v []float32, h AdamWHyper) {
	width := 0
	switch active {
	case PathAVX512:
		width = 16
	case PathAVX2:
		width = 8
	}
	body := 0
	if width > 0 {
		body = len(w) / width * width
	}
	if body > 0 {
		c := h.consts()
		if width == 16 {
			adamwAVX512(&w[0], &g[0], &m[0], &v[0], body, &c)
		} else {
			adamwAVX2(&w[0], &g[0], &m[0], &v[0], body, &c)
		}
	}
	if body < len(w) {
		adamwGeneric(w[body:], g[body:], m[body:], v[body:], h)
	}
}
