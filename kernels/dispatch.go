package kernels

import (
	"fmt"
	"io"
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

// knownPaths are every path of every architecture, for messages.
var knownPaths = []Path{PathAVX512, PathAVX2, PathNEON, PathGeneric}

// kernelTable is one path's implementation of every dispatched kernel.
// Each architecture defines a table per path it has (dispatch_generic.go,
// dispatch_amd64.go, dispatch_arm64.go); the exported entry points call the
// functions of the active table, kern.
type kernelTable struct {
	path Path
	vectorKernels
	gemm           gemmPath // Sgemm, SgemmHalf
	adamw          func(w, g, m, v []float32, h AdamWHyper)
	swigluBackward func(dgate, dup, dy, gate, up []float32)
	quant          quantKernels // QGemm, QDequantizeRows (quant_gemm.go)
}

// tileFunc is a tile product of the tiled attention: C[rows x cols] +=
// A[rows x k] * B[k x cols] (attnTile) or Aᵀ·B with A stored k x rows
// (attnTileT).
type tileFunc = func(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, rows, k, cols int)

// vectorKernels are the vector, conversion and attention kernels of a
// path; on the assembly paths they are the generated wrappers of
// simd_*.go.
type vectorKernels struct {
	dot               func(x, y []float32) float32
	axpy              func(alpha float32, x, y []float32)
	scale             func(alpha float32, x []float32)
	add, mul          func(dst, a, b []float32)
	sum, max          func(x []float32) float32
	exp               func(dst, src []float32)
	softmax           func(x []float32)
	logSoftmax        func(dst, src []float32) float32
	rmsNorm           func(dst, x, w []float32, eps float32) float32
	silu              func(dst, x []float32)
	swiglu            func(dst, gate, up []float32)
	rope, ropeInverse func(x []float32, nHeads, headDim int, cos, sin []float32)
	bf16ToF32         func(dst []float32, src []uint16)
	f32ToBF16         func(dst []uint16, src []float32)
	f16ToF32          func(dst []float32, src []uint16)
	f32ToF16          func(dst []uint16, src []float32)
	attention         func(s AttnShape, q, k, v, out, lse []float32)
	attentionBackward func(s AttnShape, q, k, v, out, dout, lse, dq, dk, dv []float32)

	// Pieces of the tiled attention (attention_tiled.go).
	attnTile, attnTileT tileFunc
	expSubSum           func(m float32, dst, src []float32) float32
	attnRowScores       func(out, q, k []float32, kstride, nk, d int)
}

var (
	// tables are the paths this CPU and build can run, best first
	// (pathTables is per architecture).
	tables = pathTables()
	// kern is the active path's table: set at init and by SetPath.
	kern kernelTable
)

// ActivePath reports the instruction-set path the dispatching kernels use.
func ActivePath() Path { return kern.path }

// AvailablePaths lists the paths this CPU and build can run, best first.
func AvailablePaths() []Path {
	p := make([]Path, len(tables))
	for i, t := range tables {
		p[i] = t.path
	}
	return p
}

func init() { startPath(os.Getenv("POPI_KERNELS"), os.Stderr) }

// startPath activates the path chosen for the value env of POPI_KERNELS,
// writing choosePath's warning, if any, to w.
func startPath(env string, w io.Writer) {
	p, warning := choosePath(env, AvailablePaths())
	if warning != "" {
		fmt.Fprintln(w, warning)
	}
	SetPath(p)
}

// choosePath returns the path to start with given the value of
// POPI_KERNELS and the available paths (best first): the best one, or the
// one the variable names. A value that names no available path falls back
// to the best one with a warning naming the value and the available paths.
func choosePath(env string, avail []Path) (Path, string) {
	want := Path(strings.ToLower(strings.TrimSpace(env)))
	if want == "" {
		return avail[0], ""
	}
	for _, p := range avail {
		if p == want {
			return p, ""
		}
	}
	why := "is not a kernel path"
	for _, p := range knownPaths {
		if p == want {
			why = "is not available on this CPU or build"
		}
	}
	return avail[0], fmt.Sprintf("kernels: POPI_KERNELS=%q %s (available: %s); using %s",
		env, why, joinPaths(avail), avail[0])
}

func joinPaths(ps []Path) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// SetPath switches the dispatching kernels to path p (tests and benchmarks
// use it to compare paths in one process). It reports false, and changes
// nothing, if p is not available. Not safe to call while kernels run.
func SetPath(p Path) bool {
	for _, t := range tables {
		if t.path == p {
			kern = *t
			return true
		}
	}
	return false
}
