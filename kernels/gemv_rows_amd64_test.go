//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// TestGemvRowsBlocksAgree: a rows kernel sums every row the same way
// whichever of its blocks (8, 4 or 1 rows per pass) serves the row, so a
// row's result is bit-identical between one call over many rows and one
// call per row; it also matches a float64 dot product within rounding. The
// weights sit between NaN guards that must never be read.
func TestGemvRowsBlocksAgree(t *testing.T) {
	type arch struct {
		name string
		ga   *gemvArch
		ok   bool
	}
	archs := []arch{
		{"AVX512", &gemvAVX512, cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512DQ)},
		{"AVX2", &gemvAVX2, cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.F16C)},
	}
	rng := rand.New(rand.NewPCG(41, 43))
	for _, a := range archs {
		if !a.ok {
			t.Logf("%s: CPU lacks the features; kernels not run", a.name)
			continue
		}
		w := a.ga.width
		for et, ename := range []string{"f32", "bf16", "f16"} {
			for _, k := range []int{w, 2 * w, 3 * w, 5 * w, 64 * w / 16 * 2, 131 * w} {
				for _, rows := range []int{1, 3, 4, 7, 8, 9, 12, 15, 16, 17, 29} {
					ldw := k + rng.IntN(3)*w/2 + rng.IntN(2)
					x := make([]float32, k)
					for i := range x {
						x[i] = float32(rng.NormFloat64())
					}
					const guard = 8
					nW := guard + rows*ldw + guard
					wf := make([]float32, nW)
					wh := make([]uint16, nW)
					val := make([]float64, nW) // the widened weights
					for i := range nW {
						f := float32(rng.NormFloat64())
						wf[i] = f
						if et == 1 {
							wh[i] = BF16FromF32(f)
							val[i] = float64(bf16At(wh[i]))
						} else if et == 2 {
							wh[i] = F16FromF32(f)
							val[i] = float64(F16ToF32One(wh[i]))
						} else {
							val[i] = float64(f)
						}
					}
					for i := 0; i < guard; i++ { // NaN guards around the rows
						for _, j := range []int{i, nW - 1 - i} {
							wf[j] = float32(math.NaN())
							wh[j] = 0x7fc1 // NaN in bf16 and f16
						}
					}
					for r := 0; r < rows; r++ {
						for p := k; p < ldw; p++ { // row padding is not read either
							wf[guard+r*ldw+p] = float32(math.NaN())
							wh[guard+r*ldw+p] = 0x7fc1
						}
					}
					ptr := func(off int) unsafe.Pointer {
						if et == 0 {
							return unsafe.Pointer(&wf[off])
						}
						return unsafe.Pointer(&wh[off])
					}
					all := make([]float32, rows)
					a.ga.rows[et](k, &x[0], ptr(guard), ldw, rows, &all[0])
					for r := 0; r < rows; r++ {
						var one [1]float32
						a.ga.rows[et](k, &x[0], ptr(guard+r*ldw), ldw, 1, &one[0])
						if math.Float32bits(one[0]) != math.Float32bits(all[r]) {
							t.Fatalf("%s %s k=%d rows=%d: row %d = %v in one call, %v alone", a.name, ename, k, rows, r, all[r], one[0])
						}
						var ref, mag float64
						for p := 0; p < k; p++ {
							ref += float64(x[p]) * val[guard+r*ldw+p]
							mag += math.Abs(float64(x[p]) * val[guard+r*ldw+p])
						}
						if d := math.Abs(float64(all[r]) - ref); !(d <= 1e-5*mag+1e-6) {
							t.Fatalf("%s %s k=%d rows=%d: row %d = %v, float64 %v", a.name, ename, k, rows, r, all[r], ref)
						}
					}
				}
			}
		}
	}
}
