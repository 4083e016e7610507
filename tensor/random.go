package tensor

import "math/rand/v2"

// RandN returns an F32 tensor of independent normal samples with mean 0 and
// standard deviation std, deterministically from seed.
func RandN(seed uint64, std float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i := range t.f32 {
		t.f32[i] = float32(r.NormFloat64()) * std
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
