package llama

import (
	"math"
	"math/rand/v2"

	"github.com/popi-go/popi/kernels"
)

// RandomInitStd is the standard deviation of NewRandom's matrices (the
// Hugging Face initializer_range default).
const RandomInitStd = 0.02

// NewRandom builds a float32 model of cfg with Hugging Face's default
// initialisation: every matrix (embedding and an untied lm_head included)
// N(0, 0.02²), every RMSNorm weight 1. The values depend only on cfg's sizes
// and seed (each 64Ki-element chunk has its own generator, so filling runs
// in parallel and stays deterministic). Use ConvertWeights for 16-bit
// storage.
func NewRandom(cfg *Config, seed uint64) (*Model, error) {
	m, err := newModel(cfg)
	if err != nil {
		return nil, err
	}
	d := m.dims
	idx := uint64(0)
	mat := func(rows, cols int) Matrix {
		idx++
		w := NewMatrixF32(rows, cols, make([]float32, rows*cols))
		fillNormal(w.F32, RandomInitStd, seed, idx)
		return w
	}
	ones := func(n int) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	m.Embed = mat(d.vocab, d.hidden)
	for i := range m.Layers {
		l := &m.Layers[i]
		l.AttnNorm = ones(d.hidden)
		l.Q = mat(d.qDim, d.hidden)
		l.K = mat(d.kvDim, d.hidden)
		l.V = mat(d.kvDim, d.hidden)
		l.O = mat(d.hidden, d.qDim)
		l.MLPNorm = ones(d.hidden)
		l.Gate = mat(d.inter, d.hidden)
		l.Up = mat(d.inter, d.hidden)
		l.Down = mat(d.hidden, d.inter)
	}
	m.Norm = ones(d.hidden)
	if d.tied {
		m.LMHead = &m.Embed
	} else {
		w := mat(d.vocab, d.hidden)
		m.LMHead = &w
	}
	return m, nil
}

const randChunk = 1 << 16

// fillNormal fills x with N(0, std²) values from per-chunk PCG streams keyed
// by (seed, stream, chunk).
func fillNormal(x []float32, std float64, seed, stream uint64) {
	chunks := (len(x) + randChunk - 1) / randChunk
	kernels.ParallelFor(chunks, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			r := rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15*stream, uint64(c)))
			part := x[c*randChunk : min((c+1)*randChunk, len(x))]
			for i := range part {
				part[i] = float32(r.NormFloat64() * std)
			}
		}
	})
}

// isFinite reports whether every value is finite.
func isFinite(x []float32) bool {
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}
