//go:build unix

package llama

import "syscall"

// processCPU returns the CPU time (user + system) the process has used, in
// seconds; ok is false when it cannot be read.
func processCPU() (sec float64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9, true
}
