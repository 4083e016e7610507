package llama

import (
	"testing"
	"unsafe"
)

// The huge-page advice must leave buffers zeroed and usable whatever their size and
// alignment (it only touches the 2 MiB-aligned interior of large buffers).
func TestWeightBuffersAdvisedHugePages(t *testing.T) {
	for _, n := range []int{0, 1, 7, hugePageMin/2 + 3, hugePageMin + 1, 3*hugePageMin/2 + 5} {
		u := newU16Weights(n)
		f := newF32Weights(n)
		if len(u) != n || len(f) != n {
			t.Fatalf("n=%d: lengths %d %d", n, len(u), len(f))
		}
		for i := range u {
			if u[i] != 0 || f[i] != 0 {
				t.Fatalf("n=%d: element %d not zero", n, i)
			}
		}
		for i := range u {
			u[i], f[i] = uint16(i), float32(i)
		}
		for i := 0; i < n; i += 4093 {
			if u[i] != uint16(i) || f[i] != float32(i) {
				t.Fatalf("n=%d: element %d lost its value", n, i)
			}
		}
	}
	// Unaligned interior ranges and sizes below one huge page are no-ops, not errors.
	b := make([]byte, 3<<20)
	adviseHugePages(unsafe.Pointer(&b[1]), uintptr(len(b)-1))
	adviseHugePages(unsafe.Pointer(&b[0]), 100)
}
