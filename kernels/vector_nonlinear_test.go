package kernels

import (
	"math"
	"testing"
)

// Softmax, LogSoftmax, RMSNorm, SiLU, SwiGLU and RoPE on every path against
// float64 math, with tolerances derived from the operations' conditioning.

func TestSoftmaxPaths(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, n := range testSizes() {
			for _, off := range testOffsets {
				x := newGuard(n, off)
				randSlice(r, x.values, -20, 20)
				src := append([]float32(nil), x.values...)
				dst := newGuard(n, off+1)
				lse := LogSoftmax(dst.values, src)
				Softmax(x.values)
				if n == 0 {
					if !math.IsInf(float64(lse), -1) {
						t.Fatalf("LogSoftmax of nothing = %v, want -Inf", lse)
					}
					continue
				}
				m := math.Inf(-1)
				for _, v := range src {
					m = math.Max(m, float64(v))
				}
				var s float64
				for _, v := range src {
					s += math.Exp(float64(v) - m)
				}
				wantLSE := m + math.Log(s)
				// x-m rounds with error <= eps/2*|x-m| (<= 40 here), exp adds
				// a few eps, the float32 sum at most n eps.
				rel := eps32 * float64(40+8+n)
				if !near(lse, wantLSE, 0, rel*math.Abs(wantLSE)+rel) {
					t.Fatalf("LogSoftmax lse n=%d: got %v want %v", n, lse, wantLSE)
				}
				for i, v := range src {
					want := math.Exp(float64(v)-m) / s
					if !near(x.values[i], want, rel, 0x1p-140) {
						t.Fatalf("Softmax n=%d i=%d: got %v want %v", n, i, x.values[i], want)
					}
					wl := float64(v) - wantLSE
					if !near(dst.values[i], wl, 0, rel*(math.Abs(float64(v))+math.Abs(wantLSE))+rel) {
						t.Fatalf("LogSoftmax n=%d i=%d: got %v want %v", n, i, dst.values[i], wl)
					}
				}
				x.check(t, "Softmax")
				dst.check(t, "LogSoftmax")
				// In place LogSoftmax gives the same values.
				lse2 := LogSoftmax(src, src)
				if lse2 != lse {
					t.Fatalf("LogSoftmax in place lse %v != %v", lse2, lse)
				}
				sameBits(t, "LogSoftmax in place", src, dst.values)
			}
		}
		// Stability: huge logits do not overflow.
		x := []float32{1e30, 1e30, -1e30, 3}
		Softmax(x)
		if x[0] != 0.5 || x[1] != 0.5 || x[2] != 0 || x[3] != 0 {
			t.Fatalf("Softmax of huge logits: %v", x)
		}
	})
}

func TestRMSNormPaths(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, n := range testSizes() {
			if n == 0 {
				continue
			}
			for _, off := range testOffsets {
				x, w, dst := newGuard(n, off), newGuard(n, off+1), newGuard(n, off+2)
				randSlice(r, x.values, -3, 3)
				randSlice(r, w.values, 0.5, 1.5)
				const epsN = 1e-5
				got := RMSNorm(dst.values, x.values, w.values, epsN)
				var ss float64
				for _, v := range x.values {
					ss += float64(v) * float64(v)
				}
				rr := 1 / math.Sqrt(ss/float64(n)+epsN)
				rel := eps32 * float64(8+n)
				if !near(got, rr, rel, 0) {
					t.Fatalf("RMSNorm n=%d: r=%v want %v", n, got, rr)
				}
				for i, v := range x.values {
					want := float64(w.values[i]) * float64(v) * rr
					if !near(dst.values[i], want, rel, 0) {
						t.Fatalf("RMSNorm n=%d i=%d: got %v want %v", n, i, dst.values[i], want)
					}
				}
				x.check(t, "RMSNorm x")
				w.check(t, "RMSNorm w")
				dst.check(t, "RMSNorm dst")
			}
		}
	})
}

var siluSpecials = []float32{0, -0.0, 1, -1, 20, -20, 87, -87, 88.9, -88.9, 89, -89, -100, -103, 100, 1e20, -1e20,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}

func siluRef(v float32) float64 {
	x := float64(v)
	if math.IsInf(x, -1) {
		return math.NaN() // -Inf * sigmoid(-Inf) = -Inf * 0
	}
	return x / (1 + math.Exp(-x))
}

func TestSiLUSwiGLUPaths(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, n := range testSizes() {
			for _, off := range testOffsets {
				x, up, dst := newGuard(n, off), newGuard(n, off+1), newGuard(n, off+2)
				randSlice(r, x.values, -30, 30)
				randSlice(r, up.values, -2, 2)
				for i := range min(n, len(siluSpecials)) {
					x.values[(i*5)%n] = siluSpecials[i]
				}
				SiLU(dst.values, x.values)
				for i, v := range x.values {
					if want := siluRef(v); !near(dst.values[i], want, 6*eps32, 0x1p-140) {
						t.Fatalf("SiLU(%v) = %v want %v", v, dst.values[i], want)
					}
				}
				SwiGLU(dst.values, x.values, up.values)
				for i, v := range x.values {
					want := siluRef(v) * float64(up.values[i])
					if !near(dst.values[i], want, 8*eps32, 0x1p-140) {
						t.Fatalf("SwiGLU(%v, %v) = %v want %v", v, up.values[i], dst.values[i], want)
					}
				}
				x.check(t, "SiLU x")
				up.check(t, "SwiGLU up")
				dst.check(t, "SiLU dst")
			}
		}
	})
}

func TestRoPEPaths(t *testing.T) {
	forPaths(t, func(t *testing.T, p Path) {
		r := newRand()
		for _, headDim := range []int{2, 4, 6, 8, 16, 18, 32, 34, 64, 66, 128} {
			for _, nHeads := range []int{1, 3} {
				h := headDim / 2
				cos, sin := make([]float32, h), make([]float32, h)
				for i := range h {
					a := r.Float64() * 2 * math.Pi
					cos[i], sin[i] = float32(math.Cos(a)), float32(math.Sin(a))
				}
				x := newGuard(nHeads*headDim, 1)
				randSlice(r, x.values, -4, 4)
				orig := append([]float32(nil), x.values...)
				RoPE(x.values, nHeads, headDim, cos, sin)
				for hd := range nHeads {
					for i := range h {
						a, b := float64(orig[hd*headDim+i]), float64(orig[hd*headDim+i+h])
						c, s := float64(cos[i]), float64(sin[i])
						tol := 2 * eps32 * (math.Abs(a*c) + math.Abs(b*s))
						if got := x.values[hd*headDim+i]; !near(got, a*c-b*s, 0, tol) {
							t.Fatalf("RoPE d=%d i=%d: got %v want %v", headDim, i, got, a*c-b*s)
						}
						tol = 2 * eps32 * (math.Abs(b*c) + math.Abs(a*s))
						if got := x.values[hd*headDim+i+h]; !near(got, b*c+a*s, 0, tol) {
							t.Fatalf("RoPE d=%d i+h=%d: got %v want %v", headDim, i+h, got, b*c+a*s)
						}
					}
				}
				RoPEInverse(x.values, nHeads, headDim, cos, sin)
				for i, v := range orig {
					if !near(x.values[i], float64(v), 0, 8*eps32*4) {
						t.Fatalf("RoPEInverse(RoPE) d=%d i=%d: got %v want %v", headDim, i, x.values[i], v)
					}
				}
				x.check(t, "RoPE")
			}
		}
	})
}
