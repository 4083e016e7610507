//go:build purego || !amd64

package kernels

func swigluBackward(dgate, dup, dy, gate, up []float32) {
	swigluBackwardGo(dgate, dup, dy, gate, up)
}
