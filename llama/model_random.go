package llama

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/popi-go/popi/kernels"
	"github.com/popi-go/popi/tensor"
)

// RandomInitStd is the standard deviation of NewRandom's matrices (the
// Hugging Face initializer_range default).
const RandomInitStd = 0.02

// NewRandom builds a float32 model of cfg with Hugging Face's default
// initialisation: every matrix (embedding and an untied lm_head included)
// N(0, 0.02²), every RMSNorm weight 1. The values depend only on cfg's sizes
// and seed (each 64Ki-element chunk has its own generator, so filling runs
// in parallel and stays deterministic). Use ConvertWeights for 16-bit
// storage, or NewRandomAs to build 16-bit matrices directly.
func NewRandom(cfg *Config, seed uint64) (*Model, error) {
	return NewRandomAs(cfg, seed, tensor.F32)
}

// NewRandomAs is NewRandom with the matrices stored as dt (F32, BF16 or
// F16), generated chunk by chunk without a full float32 copy. The values
// are those of NewRandom rounded to dt.
func NewRandomAs(cfg *Config, seed uint64, dt tensor.DType) (*Model, error) {
	if dt != tensor.F32 && dt != tensor.BF16 && dt != tensor.F16 {
		return nil, fmt.Errorf("llama: random model: cannot store weights as %v", dt)
	}
	m, err := newModel(cfg)
	if err != nil {
		return nil, err
	}
	d := m.dims
	idx := uint64(0)
	mat := func(rows, cols int) Matrix {
		idx++
		w := Matrix{Rows: rows, Cols: cols, DType: dt}
		if dt == tensor.F32 {
			w.F32 = newF32Weights(rows * cols)
		} else {
			w.U16 = newU16Weights(rows * cols)
		}
		fillNormal(w, RandomInitStd, seed, idx)
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
	m.fuseLayers()
	return m, nil
}

const randChunk = 1 << 16

// fillNormal fills w with N(0, std²) values from per-chunk PCG streams
// keyed by (seed, stream, chunk), rounded to w's type.
func fillNormal(w Matrix, std float64, seed, stream uint64) {
	n := w.Rows * w.Cols
	chunks := (n + randChunk - 1) / randChunk
	kernels.ParallelFor(chunks, 1, func(lo, hi int) {
		var buf []float32
		if w.DType != tensor.F32 {
			buf = make([]float32, randChunk)
		}
		for c := lo; c < hi; c++ {
			r := rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15*stream, uint64(c)))
			a, b := c*randChunk, min((c+1)*randChunk, n)
			var part []float32
			if w.DType == tensor.F32 {
				part = w.F32[a:b]
			} else {
				part = buf[:b-a]
			}
			for i := range part {
				part[i] = float32(r.NormFloat64() * std)
			}
			if w.DType != tensor.F32 {
				w.DType.FromF32(w.U16[a:b], part)
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

// halfFinite reports whether every bf16/f16 value is finite (exponent
// not all ones).
func halfFinite(u []uint16, dt tensor.DType) bool {
	mask := uint16(0x7f80) // bf16 exponent
	if dt == tensor.F16 {
		mask = 0x7c00
	}
	for _, v := range u {
		if v&mask == mask {
			return false
		}
	}
	return true
}
