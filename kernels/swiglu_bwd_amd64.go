//go:build amd64 && !purego

package kernels

// avx512SwiGLUBackward runs the AVX-512 kernel on the multiple-of-16 body
// and the Go twin on the rest.
func avx512SwiGLUBackward(dgate, dup, dy, gate, up []float32) {
	body := len(dgate) &^ 15
	if body > 0 {
		swigluBwdAVX512(&dgate[0], &dup[0], &dy[0], &gate[0], &up[0], body)
	}
	if body < len(dgate) {
		swigluBackwardGo(dgate[body:], dup[body:], dy[body:], gate[body:], up[body:])
	}
}
