package kernels

import "unsafe"

// aligned64 returns n elements of s starting at the first 64-byte boundary
// (s must have n+15 elements). Stack buffers that assembly kernels store
// to go through it: Go aligns them to 8 bytes only, and a vector store
// that splits a cache line costs twice.
func aligned64(s []float32, n int) []float32 {
	o := int((64-uintptr(unsafe.Pointer(&s[0]))%64)%64) / 4
	return s[o : o+n : o+n]
}
