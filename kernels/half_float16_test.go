package kernels

import (
	"math"
	"testing"

	"github.com/x448/float16"
)

// The f16 conversions against github.com/x448/float16, an independent
// implementation (checked by its author over all 2^16 and 2^32 inputs).
//
// NaN handling: both widen a binary16 NaN to a quiet float32 NaN with the
// sign and the 10-bit payload kept (the quiet bit set, as the F16C and
// FCVT instructions do), and both narrow a float32 NaN to a quiet binary16
// NaN keeping the sign and the top 9 payload bits. So the comparisons
// below are bit for bit, NaNs included.

// TestF16ToF32VsFloat16: widening, on every path, equals x448 bit for bit
// over all 65536 binary16 patterns.
func TestF16ToF32VsFloat16(t *testing.T) {
	src := allHalves()
	want := make([]float32, len(src))
	for i, h := range src {
		want[i] = float16.Frombits(h).Float32()
	}
	for i, h := range src {
		if got := F16ToF32One(h); math.Float32bits(got) != math.Float32bits(want[i]) {
			t.Fatalf("F16ToF32One(%#04x) = %#08x, float16 %#08x", h, math.Float32bits(got), math.Float32bits(want[i]))
		}
	}
	forPaths(t, func(t *testing.T, p Path) {
		got := make([]float32, len(src))
		F16ToF32(got, src)
		sameBits(t, "F16ToF32 vs float16", got, want)
	})
}

// TestF32ToF16VsFloat16: narrowing, on every path, equals x448 bit for bit
// on every binary16 value (exactly representable: the round trip), the
// float32 values next to and between them (rounding and ties to even),
// bf16-shaped values, specials (NaNs, infinities, subnormals, overflow)
// and 2^18 random bit patterns.
func TestF32ToF16VsFloat16(t *testing.T) {
	src := narrowInputs()
	want := make([]uint16, len(src))
	for i, f := range src {
		want[i] = float16.Fromfloat32(f).Bits()
	}
	for _, h := range allHalves() {
		f := float16.Frombits(h).Float32()
		if got, ref := F16FromF32(f), float16.Fromfloat32(f).Bits(); got != ref {
			t.Fatalf("F16FromF32(%#08x) = %#04x, float16 %#04x", math.Float32bits(f), got, ref)
		}
	}
	forPaths(t, func(t *testing.T, p Path) {
		got := make([]uint16, len(src))
		F32ToF16(got, src)
		sameHalf(t, "F32ToF16 vs float16", got, want, src)
	})
}
