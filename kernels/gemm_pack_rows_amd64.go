//go:build amd64 && !purego

package kernels

// copyRunsAVX2 (gemm_pack_rows_amd64.s) is copyRuns for widths that are
// multiples of 8, with 32-byte moves: the Go version's fixed-size array
// copies compile to a runtime.memmove call per run (the compiler cannot
// rule out overlap), which was ~5% of a 5m training step.
//
//go:noescape
func copyRunsAVX2(dst, src *float32, w, ld, kl int)

// copyRunsPanels8AVX2 (gemm_pack_rows_amd64.s) is copyRunsPanels for
// w == 8 with one 32-byte move per run.
//
//go:noescape
func copyRunsPanels8AVX2(dst, src *float32, ld, kl, np, pstride int)

func init() {
	copyRunsAsm = copyRunsAVX2
	copyRunsPanelsAsm = copyRunsPanels8AVX2
}
