package kernels

import (
	"fmt"
	"math"
	"testing"
)

// Every path against float64 math (or the generic version where it is
// exact), on all sizes 0..257 and large ones, unaligned starts and guarded
// outputs.

func TestDotSumPaths(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, n := range testSizes() {
			for _, off := range testOffsets {
				x, y := newGuard(n, off), newGuard(n, off+1)
				randSlice(r, x.values, -1, 1)
				randSlice(r, y.values, -1, 1)
				var want, abs, wsum, asum float64
				for i := range n {
					v := float64(x.values[i]) * float64(y.values[i])
					want += v
					abs += math.Abs(v)
					wsum += float64(x.values[i])
					asum += math.Abs(float64(x.values[i]))
				}
				// Any summation order: |error| <= (n+1) eps sum|terms|.
				if got := Dot(x.values, y.values); math.Abs(float64(got)-want) > float64(n+1)*eps32*abs {
					t.Fatalf("Dot n=%d off=%d: got %v want %v", n, off, got, want)
				}
				if got := Sum(x.values); math.Abs(float64(got)-wsum) > float64(n+1)*eps32*asum {
					t.Fatalf("Sum n=%d off=%d: got %v want %v", n, off, got, wsum)
				}
				x.check(t, "Dot/Sum x")
				y.check(t, "Dot/Sum y")
			}
		}
	})
}

func TestMaxPaths(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, n := range testSizes() {
			for _, off := range testOffsets {
				x := newGuard(n, off)
				randSlice(r, x.values, -100, 100)
				if got, want := Max(x.values), maxGeneric(x.values); got != want {
					t.Fatalf("Max n=%d: got %v want %v", n, got, want)
				}
				neg := append([]float32(nil), x.values...)
				randSlice(r, neg, -100, -50) // all negative: the start value must be -Inf
				if got, want := Max(neg), maxGeneric(neg); got != want {
					t.Fatalf("Max of negatives n=%d: got %v want %v", n, got, want)
				}
				if n > 0 {
					// A NaN anywhere (each position in turn for small n).
					for _, at := range []int{0, n / 2, n - 1} {
						old := x.values[at]
						x.values[at] = float32(math.NaN())
						if got := Max(x.values); !math.IsNaN(float64(got)) {
							t.Fatalf("Max n=%d NaN at %d: got %v", n, at, got)
						}
						x.values[at] = old
					}
					x.values[n-1] = float32(math.Inf(1))
					if got := Max(x.values); !math.IsInf(float64(got), 1) {
						t.Fatalf("Max n=%d with +Inf: got %v", n, got)
					}
				}
				x.check(t, "Max")
			}
		}
		if got := Max(nil); !math.IsInf(float64(got), -1) {
			t.Fatalf("Max(nil) = %v, want -Inf", got)
		}
	})
}

// TestElementwisePaths checks Axpy, Scale, Add and Mul. Scale, Add and Mul
// round once per element, so they must equal the generic bit for bit; Axpy
// may fuse the multiply-add (one rounding instead of two).
func TestElementwisePaths(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, n := range testSizes() {
			for _, off := range testOffsets {
				a, b := newGuard(n, off), newGuard(n, off+2)
				randSlice(r, a.values, -10, 10)
				randSlice(r, b.values, -10, 10)
				dst := newGuard(n, off+1)
				ref := make([]float32, n)

				Add(dst.values, a.values, b.values)
				addGeneric(ref, a.values, b.values)
				sameBits(t, "Add", dst.values, ref)
				Mul(dst.values, a.values, b.values)
				mulGeneric(ref, a.values, b.values)
				sameBits(t, "Mul", dst.values, ref)

				copy(dst.values, a.values)
				copy(ref, a.values)
				Scale(-1.7, dst.values)
				scaleGeneric(-1.7, ref)
				sameBits(t, "Scale", dst.values, ref)

				copy(dst.values, b.values)
				Axpy(0.37, a.values, dst.values)
				for i := range n {
					want := 0.37*float64(a.values[i]) + float64(b.values[i])
					tol := 2 * eps32 * (math.Abs(0.37*float64(a.values[i])) + math.Abs(float64(b.values[i])))
					if math.Abs(float64(dst.values[i])-want) > tol {
						t.Fatalf("Axpy n=%d i=%d: got %v want %v", n, i, dst.values[i], want)
					}
				}
				for _, g := range []*guard{a, b, dst} {
					g.check(t, fmt.Sprintf("elementwise n=%d off=%d", n, off))
				}
			}
		}
	})
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s len %d at %d: got %v (%#x) want %v (%#x)", what, len(want), i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// expTol checks one exp result: relative error <= 2e-7 where exp(x) is a
// normal float32, and at most one subnormal step (2^-149) plus the relative
// bound below that.
func expOK(got float32, x float32) bool {
	want := math.Exp(float64(x))
	if want > math.MaxFloat32*(1+0.5*eps32) {
		return math.IsInf(float64(got), 1)
	}
	if want >= 0x1p-126 {
		return near(got, want, 2e-7, 0)
	}
	return near(got, want, 2e-7, 0x1p-149)
}

var expSpecials = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 88.72, 88.7228, 88.7229, 88.8, 89, 100, 1e30,
	-87.33, -87.34, -100, -103.27, -103.28, -104, -110, -200, -1e30, 0x1p-30, -0x1p-30,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), float32(math.MaxFloat32), -float32(math.MaxFloat32)}

func TestExpPaths(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, n := range testSizes() {
			for _, off := range testOffsets {
				x, dst := newGuard(n, off), newGuard(n, off+1)
				randSlice(r, x.values, -105, 90)
				for i := range min(n, len(expSpecials)) {
					x.values[(i*7)%n] = expSpecials[i]
				}
				Exp(dst.values, x.values)
				for i, v := range x.values {
					if !expOK(dst.values[i], v) {
						t.Fatalf("Exp(%v) = %v, want %v (n=%d)", v, dst.values[i], math.Exp(float64(v)), n)
					}
				}
				x.check(t, "Exp src")
				dst.check(t, "Exp dst")
				// In place.
				Exp(x.values, x.values)
				sameBits(t, "Exp in place", x.values, dst.values)
			}
		}
		got := make([]float32, len(expSpecials))
		Exp(got, expSpecials)
		for i, v := range expSpecials {
			if !expOK(got[i], v) {
				t.Fatalf("Exp(%v) = %v, want %v", v, got[i], math.Exp(float64(v)))
			}
		}
		if k := len(got) - 5; !math.IsInf(float64(got[k]), 1) || got[k+1] != 0 || !math.IsNaN(float64(got[k+2])) {
			t.Fatalf("Exp specials: +Inf->%v -Inf->%v NaN->%v", got[k], got[k+1], got[k+2])
		}
	})
}

// TestExpMaxRelError sweeps float32 bit patterns densely over the whole
// range where exp neither overflows nor flushes to zero and asserts the
// worst relative error (normal results) stays <= 2e-7.
func TestExpMaxRelError(t *testing.T) {
	stride := uint32(61)
	if testing.Short() {
		stride = 997
	}
	var xs []float32
	for _, rng := range [][2]float32{{0, 89}, {0, 104}} {
		top := math.Float32bits(rng[1])
		for b := uint32(0); b <= top; b += stride {
			v := math.Float32frombits(b)
			if rng[0] == 0 && rng[1] == 104 {
				v = -v
			}
			xs = append(xs, v)
		}
	}
	got := make([]float32, len(xs))
	forPaths(t, func(t *testing.T, p Path) {
		Exp(got, xs)
		worst, at := 0.0, float32(0)
		for i, v := range xs {
			want := math.Exp(float64(v))
			if want > math.MaxFloat32 {
				if !math.IsInf(float64(got[i]), 1) {
					t.Fatalf("Exp(%v) = %v, want +Inf", v, got[i])
				}
				continue
			}
			if want < 0x1p-126 {
				if !expOK(got[i], v) {
					t.Fatalf("Exp(%v) = %v, want %v (subnormal)", v, got[i], want)
				}
				continue
			}
			if e := math.Abs(float64(got[i])-want) / want; e > worst {
				worst, at = e, v
			}
		}
		t.Logf("%s: %d points, max relative error %.3g at x=%v", p, len(xs), worst, at)
		if worst > 2e-7 {
			t.Fatalf("%s: max relative error %.3g at x=%v exceeds 2e-7", p, worst, at)
		}
	})
}
