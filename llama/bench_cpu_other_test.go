//go:build !unix

package llama

// processCPU is not available on this platform.
func processCPU() (sec float64, ok bool) { return 0, false }
