package kernels

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Reusable scratch for the GEMM/GEMV drivers (packed panels, edge tiles,
// gathered vectors): no per-call garbage once the pools are warm.

// f32Buf is a reusable float32 buffer, 64-byte aligned.
type f32Buf struct {
	raw, s []float32
	class  int
}

// bufPools holds buffers by power-of-two size class, so a small request
// never takes (and a large one never reallocates) a buffer of another size.
var bufPools [40]sync.Pool

// getBuf returns a buffer of at least n float32s, aligned to 64 bytes.
func getBuf(n int) *f32Buf {
	class := bits.Len(uint(n + 16))
	var b *f32Buf
	if v := bufPools[class].Get(); v != nil {
		b = v.(*f32Buf)
	} else {
		b = &f32Buf{raw: make([]float32, 1<<class), class: class}
	}
	off := 0
	if r := uintptr(unsafe.Pointer(&b.raw[0])) & 63; r != 0 {
		off = int(64-r) / 4
	}
	b.s = b.raw[off : off+n]
	return b
}

func putBuf(b *f32Buf) { bufPools[b.class].Put(b) }
