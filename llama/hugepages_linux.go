package llama

import (
	"os"
	"syscall"
	"unsafe"
)

// hugePagesOff is set by POPI_HUGEPAGES=0 (for comparing with and without).
var hugePagesOff = os.Getenv("POPI_HUGEPAGES") == "0"

const madvHugepage = 14 // MADV_HUGEPAGE

// adviseHugePages asks the kernel to back the 2 MiB-aligned interior of [p, p+size)
// with transparent huge pages (it matters where THP is in "madvise" mode). Errors are
// ignored: a kernel without THP simply keeps 4 KiB pages.
func adviseHugePages(p unsafe.Pointer, size uintptr) {
	if hugePagesOff || size < hugePageMin {
		return
	}
	const huge = 2 << 20
	start := (uintptr(p) + huge - 1) &^ (huge - 1)
	end := (uintptr(p) + size) &^ (huge - 1)
	if end <= start {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, madvHugepage)
}
