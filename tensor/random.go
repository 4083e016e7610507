package tensor

import (
	"math"
	"math/rand/v2"
)

// rng returns the deterministic generator used for seed.
func rng(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// RandN returns an F32 tensor of independent normal samples with mean 0 and
// standard deviation std, deterministically from seed.
func RandN(seed uint64, std float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	r := rng(seed)
	for i := range t.f32 {
		t.f32[i] = float32(r.NormFloat64()) * std
	}
	return t
}

// RandUniform returns an F32 tensor of independent samples uniform on
// [lo, hi), deterministically from seed.
func RandUniform(seed uint64, lo, hi float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	r := rng(seed)
	for i := range t.f32 {
		v := lo + (hi-lo)*float32(r.Float64())
		if v >= hi && hi > lo { // float32 rounding can reach hi
			v = math.Nextafter32(hi, lo)
		}
		t.f32[i] = v
	}
	return t
}

// Full returns an F32 tensor with every element v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.f32 {
		t.f32[i] = v
	}
	return t
}
