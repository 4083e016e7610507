package llama

import "unsafe"

// Weight storage. Decoding streams every weight from DRAM once per token, so the
// buffers are large and read linearly; on Linux they are advised to use transparent
// huge pages (hugepages_linux.go), which cuts TLB misses on the stream. The advice is
// only a hint: contents and results are the same with or without it.

// hugePageMin is the smallest buffer worth advising (a few 2 MiB pages).
const hugePageMin = 8 << 20

// newF32Weights returns a zeroed float32 weight buffer of n elements.
func newF32Weights(n int) []float32 {
	s := make([]float32, n)
	if n > 0 {
		adviseHugePages(unsafe.Pointer(unsafe.SliceData(s)), uintptr(n)*4)
	}
	return s
}

// newU16Weights returns a zeroed 16-bit (bf16/f16) weight buffer of n elements.
func newU16Weights(n int) []uint16 {
	s := make([]uint16, n)
	if n > 0 {
		adviseHugePages(unsafe.Pointer(unsafe.SliceData(s)), uintptr(n)*2)
	}
	return s
}

// newByteWeights returns a zeroed buffer of n bytes for quantized weights.
func newByteWeights(n int) []byte {
	s := make([]byte, n)
	if n > 0 {
		adviseHugePages(unsafe.Pointer(unsafe.SliceData(s)), uintptr(n))
	}
	return s
}
