package llama

import "testing"

// cpuMeter measures the process CPU time of a benchmark loop next to its
// wall clock. On a machine shared with other jobs the wall clock mostly
// measures the share of the cores the benchmark got; CPU time per unit of
// work (with the pool's idle workers blocked, not spinning) is the figure
// that shows whether the code itself got faster.
type cpuMeter struct {
	start float64
	ok    bool
}

// startCPU begins a measurement; call it right after b.ResetTimer.
func startCPU() cpuMeter {
	s, ok := processCPU()
	return cpuMeter{start: s, ok: ok}
}

// report adds cpu-ms/op and, for units > 0 items per op, <unit>/cpu-s.
// It reads the clock first so the caller's own reporting is not counted.
func (c cpuMeter) report(b *testing.B, units float64, unit string) {
	end, ok := processCPU()
	if !c.ok || !ok || b.N == 0 {
		return
	}
	sec := (end - c.start) / float64(b.N)
	b.ReportMetric(sec*1e3, "cpu-ms/op")
	if units > 0 && sec > 0 {
		b.ReportMetric(units/sec, unit+"/cpu-s")
	}
}
