//go:build amd64 && !purego

package kernels

// swigluBwdAVX512 (swiglu_bwd_amd64.s) handles n elements, n a multiple of 16.
//
//go:noescape
func swigluBwdAVX512(dgate, dup, dy, gate, up *float32, n int)

// swigluBackward runs the AVX-512 kernel on the multiple-of-16 body when
// that path is active, the Go twin on the rest (and on other paths).
func swigluBackward(dgate, dup, dy, gate, up []float32) {
	body := 0
	if active == PathAVX512 {
		body = len(dgate) &^ 15
	}
	if body > 0 {
		swigluBwdAVX512(&dgate[0], &dup[0], &dy[0], &gate[0], &up[0], body)
	}
	if body < len(dgate) {
		swigluBackwardGo(dgate[body:], dup[body:], dy[body:], gate[body:], up[body:])
	}
}
