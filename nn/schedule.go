package nn

import "math"

// WarmupCosine is a learning-rate schedule: linear warm-up from 0 to Peak
// over Warmup steps, then a half-cosine decay from Peak to Final at step
// Total (and Final afterwards). Steps count from 0 (the paper uses 150
// warm-up steps).
type WarmupCosine struct {
	Peak, Final   float64
	Warmup, Total int
}

// LR returns the learning rate for step (0-based): Peak·step/Warmup while
// step < Warmup, then Final + (Peak−Final)·(1+cos(π·progress))/2 with
// progress = (step−Warmup)/(Total−Warmup), clamped to [0, 1].
func (s WarmupCosine) LR(step int) float64 {
	if step < 0 {
		step = 0
	}
	if step < s.Warmup {
		return s.Peak * float64(step) / float64(s.Warmup)
	}
	span := s.Total - s.Warmup
	if span <= 0 {
		return s.Final
	}
	p := math.Min(1, float64(step-s.Warmup)/float64(span))
	return s.Final + (s.Peak-s.Final)*0.5*(1+math.Cos(math.Pi*p))
}
