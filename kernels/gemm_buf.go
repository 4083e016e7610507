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
// bufFree, a few buffers per class in channels, is tried first: a buffer
// a goroutine put back is then visible from every P (a sync.Pool item in
// one P's private slot is not, and pool workers running GEMM tasks move
// between Ps). The sync.Pool takes the overflow and the larger classes
// (nil channels: never ready) and lets the GC trim them.
var (
	bufPools [40]sync.Pool
	bufFree  [40]chan *f32Buf
)

// bufFreeMaxClass bounds what bufFree keeps forever: 4 buffers of up to
// 2^21 floats (8 MiB, above every packed block of the blocking sizes).
const bufFreeMaxClass = 21

func init() {
	for i := range bufFree[:bufFreeMaxClass+1] {
		bufFree[i] = make(chan *f32Buf, 4)
	}
}

// getBuf returns a buffer of at least n float32s, aligned to 64 bytes.
func getBuf(n int) *f32Buf {
	class := bits.Len(uint(n + 16))
	var b *f32Buf
	select {
	case b = <-bufFree[class]:
	default:
		if v := bufPools[class].Get(); v != nil {
			b = v.(*f32Buf)
		} else {
			b = &f32Buf{raw: make([]float32, 1<<class), class: class}
		}
	}
	off := 0
	if r := uintptr(unsafe.Pointer(&b.raw[0])) & 63; r != 0 {
		off = int(64-r) / 4
	}
	b.s = b.raw[off : off+n]
	return b
}

func putBuf(b *f32Buf) {
	select {
	case bufFree[b.class] <- b:
	default:
		bufPools[b.class].Put(b)
	}
}
