package popi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/rl"
)

// phase drives one training phase (Stage 1, or one Stage-2 fine-tuning) through rl.Loop
// with checkpoints, resumption, progress lines, metrics and clean interruption.
type phase[T any] struct {
	Name  string
	Run   *Run
	Model *llama.Model
	Tok   *llama.Tokenizer
	Opt   *nn.AdamW
	// RNG is the sampling generator whose state is checkpointed (nil if the phase samples nothing).
	RNG *rand.PCG
	// Train, when set, is the trained model's autograd view, whose LoRA dropout mask
	// counter is checkpointed with the RNG.
	Train *llama.Trainable

	Data      []T
	BatchSize int
	Steps     int
	Seed      uint64
	LR        func(step int) float64
	Every     int // checkpoint every Every steps (0: only at the end and on interruption)
	Resume    bool
	Step      func(ctx context.Context, batch []T, lr float64) (map[string]float64, error)
	// StepAt, when set instead of Step, also receives the 0-based step index (per-step
	// episode draws are keyed by it, so a resumed run draws what the first one would have).
	StepAt func(ctx context.Context, step int, batch []T, lr float64) (map[string]float64, error)
	// Headline picks the mean/std plotted and shown on the progress line.
	Headline func(m map[string]float64) (mean, std float64)
	// HeadName labels the headline on the progress line, e.g. "reward".
	HeadName string
	// Detail, if set, appends further metrics to the progress line.
	Detail func(m map[string]float64) string
	// Record, if set, fills a step record's further fields from the step's metrics.
	Record func(m map[string]float64, r *StepRecord)
	// Eval, if set, evaluates the model on held-out data before the first step, after
	// every EvalEvery steps and after the last; its records are kept in the state (and
	// so in checkpoints), written to metrics.jsonl and logged.
	Eval      func(ctx context.Context, step int) (HeldOutRecord, error)
	EvalEvery int
	// SaveExtra / LoadExtra, if set, write and read further state (parameters outside
	// Model) in each checkpoint's directory.
	SaveExtra func(dir string) error
	LoadExtra func(dir string) error
}

// evalDue reports whether a held-out evaluation is due after step completed steps.
func (p *phase[T]) evalDue(step int) bool {
	return p.Eval != nil && (step == 0 || step == p.Steps || (p.EvalEvery > 0 && step%p.EvalEvery == 0))
}

// evaluate runs the held-out evaluation after step completed steps unless the state
// already holds it, and records it.
func (p *phase[T]) evaluate(ctx context.Context, st *TrainState, step int) error {
	if !p.evalDue(step) || (len(st.HeldOut) > 0 && st.HeldOut[len(st.HeldOut)-1].Step == step) {
		return nil
	}
	rec, err := p.Eval(ctx, step)
	if err != nil {
		return err
	}
	st.HeldOut = append(st.HeldOut, rec)
	if err := p.Run.Metric(rec.metric(p.Name)); err != nil {
		return err
	}
	p.Run.Logf("[%s] held-out after %d steps: %s\n", p.Name, step, rec)
	return nil
}

func (p *phase[T]) ckptDir() string { return p.Run.Path("ckpt", p.Name) }

// run trains to p.Steps (or resumes), returning the final state. On cancellation it saves a
// checkpoint at the last completed step and returns the context's error.
func (p *phase[T]) run(ctx context.Context) (TrainState, error) {
	st := TrainState{Phase: p.Name, Total: p.Steps}
	if p.Resume {
		if _, ok := CheckpointDir(p.ckptDir()); ok {
			var err error
			if st, err = loadCheckpoint(p.ckptDir(), p.Model, p.Opt, p.LoadExtra); err != nil {
				return st, err
			}
			if st.Phase != p.Name || st.Total != p.Steps {
				return st, fmt.Errorf("popi: checkpoint %s is for %s with %d steps, not %s with %d", p.ckptDir(), st.Phase, st.Total, p.Name, p.Steps)
			}
			if p.RNG != nil {
				if err := p.RNG.UnmarshalBinary(st.RNG); err != nil {
					return st, fmt.Errorf("popi: checkpoint %s: RNG state: %w", p.ckptDir(), err)
				}
			}
			if p.Train != nil {
				p.Train.SetDropoutCalls(st.DropoutCalls)
			}
			p.Run.Logf("[%s] resumed at step %d/%d\n", p.Name, st.Step, p.Steps)
			if st.Done {
				return st, nil
			}
		}
		// Steps after the checkpoint (or all, without one) run again: drop their rows.
		if err := p.Run.TruncateMetrics(p.Name, st.Step); err != nil {
			return st, err
		}
	}
	save := func() error {
		if p.RNG != nil {
			b, err := p.RNG.MarshalBinary()
			if err != nil {
				return err
			}
			st.RNG = b
		}
		if p.Train != nil {
			st.DropoutCalls = p.Train.DropoutCalls()
		}
		// The log holds every row up to st.Step before the checkpoint says it does.
		if err := p.Run.SyncMetrics(); err != nil {
			return err
		}
		return saveCheckpoint(p.ckptDir(), p.Model, p.Tok, p.Opt, st, p.SaveExtra)
	}
	// The state after the last completed step; saved on interruption.
	var lastRNG []byte
	if p.RNG != nil {
		lastRNG, _ = p.RNG.MarshalBinary()
	}
	var lastDrop uint64
	if p.Train != nil {
		lastDrop = p.Train.DropoutCalls()
	}
	// A fresh run is evaluated before its first step; a resumed one at its checkpoint if
	// an interruption came between the step and its evaluation.
	if err := p.evaluate(ctx, &st, st.Step); err != nil {
		return st, err
	}
	prog := NewProgress(p.Name, st.Step, p.Steps, "steps")
	stepFn := p.Step
	if p.StepAt != nil {
		next := st.Step
		stepFn = func(ctx context.Context, batch []T, lr float64) (map[string]float64, error) {
			i := next
			next++
			return p.StepAt(ctx, i, batch, lr)
		}
	}
	loop := rl.Loop[T]{
		Data: p.Data, BatchSize: p.BatchSize, MaxSteps: p.Steps, Seed: p.Seed, LR: p.LR,
		Step: stepFn, StartStep: st.Step,
		OnStep: func(info rl.StepInfo) error {
			mean, std := p.Headline(info.Metrics)
			st.Step = info.Step + 1
			rec := StepRecord{Step: info.Step, Mean: mean, Std: std}
			if p.Record != nil {
				p.Record(info.Metrics, &rec)
			}
			st.History = append(st.History, rec)
			mrec := map[string]any{"phase": p.Name, "step": info.Step, "epoch": info.Epoch, "lr": info.LR,
				"seconds": info.Elapsed.Seconds()}
			for k, v := range info.Metrics {
				mrec[k] = v
			}
			if err := p.Run.Metric(mrec); err != nil {
				return err
			}
			head := fmt.Sprintf("%s %.4f ± %.4f  lr %.3g", p.HeadName, mean, std, info.LR)
			if p.Detail != nil {
				head += p.Detail(info.Metrics)
			}
			p.Run.Logf("%s", prog.Line(st.Step, head))
			if p.RNG != nil {
				lastRNG, _ = p.RNG.MarshalBinary()
			}
			if p.Train != nil {
				lastDrop = p.Train.DropoutCalls()
			}
			if err := p.evaluate(ctx, &st, st.Step); err != nil {
				return err
			}
			if p.Every > 0 && st.Step%p.Every == 0 && st.Step < p.Steps {
				if err := save(); err != nil {
					return fmt.Errorf("popi: checkpoint: %w", err)
				}
			}
			return nil
		},
	}
	_, err := loop.Run(ctx)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// The failed step took no optimizer step (its errors precede the update), so
			// the weights are those after step st.Step; rewind the RNG to match.
			if p.RNG != nil && lastRNG != nil {
				if uerr := p.RNG.UnmarshalBinary(lastRNG); uerr != nil {
					return st, uerr
				}
			}
			if p.Train != nil {
				p.Train.SetDropoutCalls(lastDrop)
			}
			if serr := save(); serr != nil {
				return st, errors.Join(err, serr)
			}
			p.Run.Logf("[%s] interrupted: checkpoint saved at step %d/%d in %s\n", p.Name, st.Step, p.Steps, p.ckptDir())
		}
		return st, err
	}
	if st.Step >= p.Steps {
		st.Done = true
	}
	if err := save(); err != nil {
		return st, fmt.Errorf("popi: checkpoint: %w", err)
	}
	return st, nil
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
