package kernels

import (
	"os"
	"strings"
)

// Path names an instruction-set path.
type Path string

const (
	PathGeneric Path = "generic"
	PathAVX2    Path = "avx2"   // AVX2 + FMA (+F16C)
	PathAVX512  Path = "avx512" // AVX-512F (+BF16 dot product when present)
	PathNEON    Path = "neon"
)

// active is the path in use; set once at init from the CPU and POPI_KERNELS.
var active = PathGeneric

// ActivePath reports the instruction-set path the dispatching kernels use.
func ActivePath() Path { return active }

// AvailablePaths lists the paths this CPU and build can run, best first.
func AvailablePaths() []Path { return availablePaths() }

// requested returns the path forced by POPI_KERNELS, or "" if none.
func requested() Path {
	return Path(strings.ToLower(strings.TrimSpace(os.Getenv("POPI_KERNELS"))))
}

func init() {
	avail := availablePaths()
	active = avail[0]
	if want := requested(); want != "" {
		for _, p := range avail {
			if p == want {
				active = p
				break
			}
		}
	}
	setPath(active)
}

// SetPath switches the dispatching kernels to path p (tests and benchmarks
// use it to compare paths in one process). It reports false, and changes
// nothing, if p is not available. Not safe to call while kernels run.
func SetPath(p Path) bool {
	for _, q := range availablePaths() {
		if q == p {
			active = p
			setPath(p)
			return true
		}
	}
	return false
}
