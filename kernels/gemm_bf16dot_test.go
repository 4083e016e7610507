package kernels

import "testing"

// bf16DotActive reports whether the active path has a bf16 dot-product
// GEMM (a probe: a product of values that bf16 rounds differently).
func bf16DotActive() bool {
	a := []float32{1 + 1.0/512, 1 + 1.0/512, 1, 1} // rounds to 1 in bf16 (ties to even)
	b := []uint16{0x3f80, 0x3f80, 0x3f80, 0x3f80}  // 1.0
	c := make([]float32, 4)
	SgemmHalf(BF16, false, false, 2, 2, 1, 1, a, 1, b[:2], 2, 0, c, 2, true)
	return c[0] == 1
}

func TestBF16DotProbe(t *testing.T) {
	orig := ActivePath()
	defer SetPath(orig)
	for _, p := range AvailablePaths() {
		SetPath(p)
		t.Logf("path %s: bf16 dot-product GEMM active: %v", p, bf16DotActive())
	}
}
