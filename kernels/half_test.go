package kernels

import (
	"math"
	"testing"
)

// Half-precision conversions: exhaustive over all 65536 16-bit inputs for
// widening, specials and a random sweep for narrowing; every path must equal
// the generic bit for bit, and the generic is checked against its definition.

func allHalves() []uint16 {
	h := make([]uint16, 1<<16)
	for i := range h {
		h[i] = uint16(i)
	}
	return h
}

// f16Value is the binary16 definition evaluated in float64.
func f16Value(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e, m := int(h>>10)&0x1f, float64(h&0x3ff)
	switch e {
	case 0x1f:
		if m != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	case 0:
		return sign * m * 0x1p-24
	}
	return sign * (1 + m/1024) * math.Ldexp(1, e-15)
}

func TestF16ToF32Generic(t *testing.T) {
	for _, h := range allHalves() {
		got, want := F16ToF32One(h), f16Value(h)
		if math.IsNaN(want) {
			b := math.Float32bits(got)
			if !math.IsNaN(float64(got)) || b&0x400000 == 0 || b>>31 != uint32(h>>15) || (b>>13)&0x1ff != uint32(h)&0x1ff {
				t.Fatalf("F16ToF32One(%#x) = %#x, want a quiet NaN with sign and payload kept", h, b)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Fatalf("F16ToF32One(%#x) = %v want %v", h, got, want)
		}
		if back := F16FromF32(got); back != h {
			t.Fatalf("F16FromF32(F16ToF32One(%#x)) = %#x", h, back)
		}
	}
}

func TestHalfWidenPaths(t *testing.T) {
	src := allHalves()
	wantB, wantH := make([]float32, len(src)), make([]float32, len(src))
	bf16ToF32Generic(wantB, src)
	f16ToF32Generic(wantH, src)
	forPaths(t, func(t *testing.T, p Path) {
		got := make([]float32, len(src))
		BF16ToF32(got, src)
		sameBits(t, "BF16ToF32", got, wantB)
		F16ToF32(got, src)
		sameBits(t, "F16ToF32", got, wantH)
		for _, n := range testSizes()[:258] {
			for _, off := range testOffsets {
				d := newGuard(n, off)
				s := src[1000+off : 1000+off+n]
				F16ToF32(d.values, s)
				sameBits(t, "F16ToF32 short", d.values, wantH[1000+off:1000+off+n])
				BF16ToF32(d.values, s)
				sameBits(t, "BF16ToF32 short", d.values, wantB[1000+off:1000+off+n])
				d.check(t, "widen")
			}
		}
	})
}

func narrowInputs() []float32 {
	var xs []float32
	for _, h := range allHalves() { // every half, and the midpoints around it
		f := F16ToF32One(h)
		b := math.Float32bits(f)
		xs = append(xs, f, math.Float32frombits(b+0x1000), math.Float32frombits(b+0xfff), math.Float32frombits(b+0x1001))
		xs = append(xs, math.Float32frombits(uint32(h)<<16), math.Float32frombits(uint32(h)<<16|0x8000), math.Float32frombits(uint32(h)<<16|0x8001), math.Float32frombits(uint32(h)<<16|0x7fff))
	}
	specials := []uint32{0, 0x80000000, 1, 0x80000001, 0x7fffff, 0x800000, 0x7f7fffff, 0x7f800000, 0xff800000,
		0x7f800001, 0x7fc00000, 0xffc00001, 0x7fbfffff, 0x477fe000, 0x477fefff, 0x477ff000, 0x33000000, 0x33000001, 0x32ffffff,
		0x387fc000, 0x38800000, 0x3f800000, 0x3f808000, 0x3f818000}
	for _, b := range specials {
		xs = append(xs, math.Float32frombits(b))
	}
	r := newRand()
	for range 1 << 18 {
		xs = append(xs, math.Float32frombits(r.Uint32()))
	}
	return xs
}

func TestHalfNarrowPaths(t *testing.T) {
	src := narrowInputs()
	wantB, wantH := make([]uint16, len(src)), make([]uint16, len(src))
	f32ToBF16Generic(wantB, src)
	f32ToF16Generic(wantH, src)
	// The generic narrowing against float64 rounding on the finite inputs.
	for i, f := range src {
		if math.IsNaN(float64(f)) {
			if !math.IsNaN(float64(F16ToF32One(wantH[i]))) || !math.IsNaN(float64(math.Float32frombits(uint32(wantB[i])<<16))) {
				t.Fatalf("NaN %#x narrowed to non-NaN (f16 %#x, bf16 %#x)", math.Float32bits(f), wantH[i], wantB[i])
			}
		}
	}
	forPaths(t, func(t *testing.T, p Path) {
		got := make([]uint16, len(src))
		F32ToBF16(got, src)
		sameHalf(t, "F32ToBF16", got, wantB, src)
		F32ToF16(got, src)
		sameHalf(t, "F32ToF16", got, wantH, src)
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 257} {
			for _, off := range testOffsets {
				buf := make([]uint16, n+2*guardLen+off)
				for i := range buf {
					buf[i] = 0xdead
				}
				d := buf[guardLen+off : guardLen+off+n]
				F32ToF16(d, src[off:off+n])
				for i, v := range buf {
					if (i < guardLen+off || i >= guardLen+off+n) && v != 0xdead {
						t.Fatalf("F32ToF16 n=%d wrote outside its output at %d", n, i)
					}
				}
			}
		}
	})
}

func sameHalf(t *testing.T, what string, got, want []uint16, src []float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s(%v = %#x) = %#x want %#x", what, src[i], math.Float32bits(src[i]), got[i], want[i])
		}
	}
}
