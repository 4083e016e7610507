package llama

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popi-go/popi/nn"
)

// BenchmarkTrainStepOps runs the BenchmarkTrainStep workload with the nn
// op profiler on and logs where a step's wall time goes, per op kind and
// pass (forward / backward), plus the optimizer and gradient zeroing.
// Run: go test ./llama -run X -bench TrainStepOps/5m -benchtime 5x
func BenchmarkTrainStepOps(b *testing.B) {
	for _, shape := range []string{"5m", "30m"} {
		b.Run(shape, func(b *testing.B) {
			tm, opt, ids := trainStepSetup(b, shape)
			b.ResetTimer()
			nn.StartOpProfile()
			for range b.N {
				opt.ZeroGrad()
				nn.MarkOpProfile("zero_grad")
				loss, err := tm.NextTokenLoss(ids)
				if err != nil {
					b.Fatal(err)
				}
				if err := loss.Backward(); err != nil {
					b.Fatal(err)
				}
				nn.MarkOpProfile("backward_glue")
				if err := opt.Step(1e-4); err != nil {
					b.Fatal(err)
				}
				nn.MarkOpProfile("adamw")
			}
			prof := nn.StopOpProfile()
			b.StopTimer()
			step := b.Elapsed() / time.Duration(b.N)
			// Two ops per line: benchmark logs are cut after a few lines.
			var sb strings.Builder
			fmt.Fprintf(&sb, "%d steps, %v/step wall; op fwd+bwd ms/step (share):", b.N, step.Round(time.Millisecond))
			for i, o := range prof {
				if i%3 == 0 {
					sb.WriteString("\n")
				}
				fmt.Fprintf(&sb, "  %-15s %7.1f+%-7.1f (%4.1f%%)", o.Op,
					float64(o.Forward)/1e6/float64(b.N), float64(o.Backward)/1e6/float64(b.N),
					100*float64(o.Total())/float64(step)/float64(b.N))
			}
			b.Log(sb.String())
			b.ReportMetric(float64(step)/1e6, "ms/step")
		})
	}
}
