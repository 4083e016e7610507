package kernels

import (
	"math"
	"unsafe"
)

// Portable twins of the GEMV kernels (same contracts as gemvRowsFunc and
// gemvColsFunc, any k and n).
var gemvGeneric = gemvArch{
	width:   1,
	rows:    [3]gemvRowsFunc{gemvRowsF32Generic, gemvRowsBF16Generic, gemvRowsF16Generic},
	cols:    [3]gemvColsFunc{gemvColsF32Generic, gemvColsBF16Generic, gemvColsF16Generic},
	rows4:   [3]gemvRows4Func{gemvRows4F32Generic, gemvRows4BF16Generic, gemvRows4F16Generic},
	mediumM: 64,
}

// gemvRows4Generic is the Go twin of the small-m kernels for weights of
// element type et (bSource.elemIndex).
func gemvRows4Generic(et, k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32) {
	xs := unsafe.Slice(x4, 4*k)
	o := unsafe.Slice(out, 4*rows)
	var wv [16]float32
	for r := 0; r < rows; r++ {
		var s [4]float32
		for c := 0; c < k/16; c++ {
			off := r*ldw + 16*c
			switch et {
			case 0:
				copy(wv[:], unsafe.Slice((*float32)(unsafe.Add(w, 4*off)), 16))
			case 1:
				for q, h := range unsafe.Slice((*uint16)(unsafe.Add(w, 2*off)), 16) {
					wv[q] = bf16At(h)
				}
			default:
				for q, h := range unsafe.Slice((*uint16)(unsafe.Add(w, 2*off)), 16) {
					wv[q] = F16ToF32One(h)
				}
			}
			for i := 0; i < 4; i++ {
				xc := xs[(4*c+i)*16 : (4*c+i)*16+16 : (4*c+i)*16+16]
				var t float32
				for q, v := range xc {
					t += v * wv[q]
				}
				s[i] += t
			}
		}
		copy(o[4*r:4*r+4], s[:])
	}
}

func gemvRows4F32Generic(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32) {
	gemvRows4Generic(0, k, x4, w, ldw, rows, out)
}

func gemvRows4BF16Generic(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32) {
	gemvRows4Generic(1, k, x4, w, ldw, rows, out)
}

func gemvRows4F16Generic(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32) {
	gemvRows4Generic(2, k, x4, w, ldw, rows, out)
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
