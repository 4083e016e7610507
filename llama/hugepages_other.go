//go:build !linux

package llama

import "unsafe"

// adviseHugePages is a no-op where transparent huge pages are not advised.
func adviseHugePages(p unsafe.Pointer, size uintptr) {}
