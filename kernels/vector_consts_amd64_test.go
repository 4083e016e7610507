//go:build amd64 && !purego

package kernels

import (
	"math"
	"testing"
	"unsafe"
)

// TestVecConstsAligned: the constant table of the vector kernels starts on
// a 64-byte boundary (a zmm memory operand that splits a cache line made
// the AVX-512 exp-based kernels 1.4-1.7x slower), and holds what the
// generator wrote: its first and last entries, each replicated 16 times.
func TestVecConstsAligned(t *testing.T) {
	p := vecConstsPtr()
	if a := uintptr(unsafe.Pointer(p)) % 64; a != 0 {
		t.Fatalf("vecConsts at %p: %d bytes past a 64-byte boundary", p, a)
	}
	tbl := unsafe.Slice(p, 19*16)
	for i := 0; i < 16; i++ {
		if tbl[i] != math.Float32bits(89) || tbl[18*16+i] != 0x80000000 {
			t.Fatalf("vecConsts lane %d: hi clamp %#x, sign mask %#x", i, tbl[i], tbl[18*16+i])
		}
	}
}
