package rl

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrStop, returned by Loop.OnStep, ends training early without error.
var ErrStop = errors.New("rl: stop requested")

// StepInfo describes one finished optimisation step for the metrics callback.
type StepInfo struct {
	Step    int // 0-based global step
	Epoch   int // 0-based pass over the data
	LR      float64
	Batch   int // examples in this step's batch
	Metrics map[string]float64
	Elapsed time.Duration // wall time of this step
}

// Loop drives training over a dataset: each epoch shuffles the examples with a PCG generator
// seeded by Seed (and the epoch number), cuts them into batches of BatchSize (a shorter last
// batch is kept unless DropLast), and calls Step with the learning rate from LR. It stops
// after Epochs passes or MaxSteps steps, whichever comes first (0 means no limit of that
// kind, but at least one must be set), when the context is cancelled, or when OnStep
// returns ErrStop. Gradient accumulation happens inside Step (GRPO.MicroBatch,
// DPO.MicroBatch), which thereby performs exactly one optimizer update per batch (mu for
// GRPO with mu iterations).
type Loop[T any] struct {
	Data      []T
	BatchSize int
	Epochs    int
	MaxSteps  int
	DropLast  bool
	Seed      uint64
	// LR returns the learning rate of a 0-based step (required; see ConstantLR and
	// WarmupCosine).
	LR func(step int) float64
	// Step runs one optimisation step on a batch (for example GRPO.LoopStep or
	// DPO.LoopStep). The batch slice is only valid during the call.
	Step func(ctx context.Context, batch []T, lr float64) (map[string]float64, error)
	// OnStep, if set, receives every step's metrics; returning ErrStop ends the run,
	// any other error aborts it.
	OnStep func(StepInfo) error
	// StartStep skips the first StartStep steps (their shuffles are still drawn), to resume
	// a run at the same data order.
	StartStep int
}

// Run executes the loop and returns the number of steps completed (including StartStep).
func (l *Loop[T]) Run(ctx context.Context) (int, error) {
	if l.Step == nil || l.LR == nil {
		return 0, errors.New("rl: Loop needs Step and LR")
	}
	if l.BatchSize <= 0 {
		return 0, fmt.Errorf("rl: batch size must be > 0, got %d", l.BatchSize)
	}
	if len(l.Data) == 0 {
		return 0, errors.New("rl: empty dataset")
	}
	if l.Epochs < 0 || l.MaxSteps < 0 || l.StartStep < 0 || (l.Epochs == 0 && l.MaxSteps == 0) {
		return 0, fmt.Errorf("rl: need Epochs > 0 or MaxSteps > 0 (got %d, %d; start %d)", l.Epochs, l.MaxSteps, l.StartStep)
	}
	perEpoch := len(l.Data) / l.BatchSize
	if !l.DropLast && len(l.Data)%l.BatchSize != 0 {
		perEpoch++
	}
	if perEpoch == 0 {
		return 0, fmt.Errorf("rl: %d examples make no full batch of %d with DropLast", len(l.Data), l.BatchSize)
	}
	order := make([]int, len(l.Data))
	batch := make([]T, 0, l.BatchSize)
	step := 0
	for epoch := 0; l.Epochs == 0 || epoch < l.Epochs; epoch++ {
		rng := rand.New(rand.NewPCG(l.Seed, uint64(epoch)))
		for i := range order {
			order[i] = i
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b := 0; b < perEpoch; b++ {
			if l.MaxSteps > 0 && step >= l.MaxSteps {
				return step, nil
			}
			if step < l.StartStep {
				step++
				continue
			}
			if err := ctx.Err(); err != nil {
				return step, err
			}
			batch = batch[:0]
			for _, k := range order[b*l.BatchSize : min((b+1)*l.BatchSize, len(order))] {
				batch = append(batch, l.Data[k])
			}
			lr := l.LR(step)
			if !finite(lr) || lr < 0 {
				return step, fmt.Errorf("rl: learning-rate schedule gave %v at step %d", lr, step)
			}
			t0 := time.Now()
			m, err := l.Step(ctx, batch, lr)
			if err != nil {
				return step, fmt.Errorf("rl: step %d (epoch %d): %w", step, epoch, err)
			}
			info := StepInfo{Step: step, Epoch: epoch, LR: lr, Batch: len(batch), Metrics: m, Elapsed: time.Since(t0)}
			step++
			if l.OnStep != nil {
				if err := l.OnStep(info); err != nil {
					if errors.Is(err, ErrStop) {
						return step, nil
					}
					return step, err
				}
			}
		}
	}
	return step, nil
}
