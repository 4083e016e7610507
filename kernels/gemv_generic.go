package kernels

import (
	"math"
	"unsafe"
)

// Portable twins of the GEMV kernels (same contracts as gemvRowsFunc and
// gemvColsFunc, any k and n).
var gemvGeneric = gemvArch{
	width: 1,
	rows:  [3]gemvRowsFunc{gemvRowsF32Generic, gemvRowsBF16Generic, gemvRowsF16Generic},
	cols:  [3]gemvColsFunc{gemvColsF32Generic, gemvColsBF16Generic, gemvColsF16Generic},
}

func bf16At(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

func gemvRowsF32Generic(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32) {
	xs := unsafe.Slice(x, k)
	o := unsafe.Slice(out, rows)
	for r := range o {
		ws := unsafe.Slice((*float32)(unsafe.Add(w, 4*r*ldw)), k)
		var s float32
		for p, v := range xs {
			s += v * ws[p]
		}
		o[r] = s
	}
}

func gemvRowsBF16Generic(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32) {
	xs := unsafe.Slice(x, k)
	o := unsafe.Slice(out, rows)
	for r := range o {
		ws := unsafe.Slice((*uint16)(unsafe.Add(w, 2*r*ldw)), k)
		var s float32
		for p, v := range xs {
			s += v * bf16At(ws[p])
		}
		o[r] = s
	}
}

func gemvRowsF16Generic(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32) {
	xs := unsafe.Slice(x, k)
	o := unsafe.Slice(out, rows)
	for r := range o {
		ws := unsafe.Slice((*uint16)(unsafe.Add(w, 2*r*ldw)), k)
		var s float32
		for p, v := range xs {
			s += v * F16ToF32One(ws[p])
		}
		o[r] = s
	}
}

func gemvColsF32Generic(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32) {
	xs := unsafe.Slice(x, k)
	a := unsafe.Slice(acc, n)
	for p, xv := range xs {
		bs := unsafe.Slice((*float32)(unsafe.Add(b, 4*p*ldb)), n)
		for j, v := range bs {
			a[j] += xv * v
		}
	}
}

func gemvColsBF16Generic(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32) {
	xs := unsafe.Slice(x, k)
	a := unsafe.Slice(acc, n)
	for p, xv := range xs {
		bs := unsafe.Slice((*uint16)(unsafe.Add(b, 2*p*ldb)), n)
		for j, v := range bs {
			a[j] += xv * bf16At(v)
		}
	}
}

func gemvColsF16Generic(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32) {
	xs := unsafe.Slice(x, k)
	a := unsafe.Slice(acc, n)
	for p, xv := range xs {
		bs := unsafe.Slice((*uint16)(unsafe.Add(b, 2*p*ldb)), n)
		for j, v := range bs {
			a[j] += xv * F16ToF32One(v)
		}
	}
}
