package kernels

import "fmt"

// SwiGLUBackward writes the gradients of dst = silu(gate)*up given dy, the
// gradient of dst: with s = sigmoid(gate[i]),
//
//	dgate[i] = dy[i]*up[i]*s*(1 + gate[i]*(1-s))
//	dup[i]   = dy[i]*gate[i]*s
//
// Both outputs are overwritten (not accumulated). All slices must be at
// least as long as dgate, and dup as long as dgate.
func SwiGLUBackward(dgate, dup, dy, gate, up []float32) {
	n := len(dgate)
	if len(dup) != n || len(dy) < n || len(gate) < n || len(up) < n {
		panic(fmt.Sprintf("kernels: SwiGLUBackward of %d gate gradients with %d up gradients, %d output gradients, %d gate and %d up values",
			n, len(dup), len(dy), len(gate), len(up)))
	}
	kern.swigluBackward(dgate, dup, dy[:n], gate[:n], up[:n])
}

// swigluBackwardGeneric is the portable twin of SwiGLUBackward.
func swigluBackwardGeneric(dgate, dup, dy, gate, up []float32) {
	n := len(dgate)
	if len(dup) != n || len(dy) < n || len(gate) < n || len(up) < n {
		panic(fmt.Sprintf("kernels: SwiGLUBackward of %d gate gradients with %d up gradients, %d output gradients, %d gate and %d up values",
			n, len(dup), len(dy), len(gate), len(up)))
	}
	swigluBackwardGo(dgate, dup, dy[:n], gate[:n], up[:n])
}

// swigluBackwardGo computes blocks of exp(-gate) with the dispatching
// exponential, then the rest elementwise.
func swigluBackwardGo(dgate, dup, dy, gate, up []float32) {
	const blk = 256
	var e [blk]float32
	for b := 0; b < len(dgate); b += blk {
		n := min(blk, len(dgate)-b)
		eb := e[:n]
		for i := range eb {
			eb[i] = -gate[b+i]
		}
		kern.exp(eb, eb)
		for i, ei := range eb {
			s := 1 / (1 + ei)
			x, g := gate[b+i], dy[b+i]
			dup[b+i] = g * x * s
			dgate[b+i] = g * up[b+i] * s * (1 + x*(1-s))
		}
	}
}
