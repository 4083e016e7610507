package llama

import "math"

// RoPEInvFreq returns the HeadDim/2 rotary inverse frequencies, with llama3 scaling applied
// when configured, computed in float32 step by step as Hugging Face transformers does
// (inv_freq = 1/theta^(2i/d) in float32, then the llama3 wavelength bands).
func (c *Config) RoPEInvFreq() []float32 {
	half := c.HeadDim / 2
	inv := make([]float32, half)
	d := float32(c.HeadDim)
	for i := range inv {
		e := float32(float32(2*i) / d)
		p := float32(math.Pow(c.RopeTheta, float64(e)))
		inv[i] = float32(1 / p)
	}
	r := c.RopeScaling
	if r == nil {
		return inv
	}
	old := float64(r.OriginalMaxPositions)
	lowWave := old / r.LowFreqFactor
	highWave := old / r.HighFreqFactor
	factor := float32(r.Factor)
	twoPi := float32(2 * math.Pi)
	for i, f := range inv {
		wave := float32(twoPi / f)
		scaled := f
		if float64(wave) > lowWave {
			scaled = float32(f / factor)
		}
		if !(float64(wave) < highWave) && !(float64(wave) > lowWave) {
			s := float32(float32(float32(old)/wave) - float32(r.LowFreqFactor))
			s = float32(s / float32(r.HighFreqFactor-r.LowFreqFactor))
			a := float32(float32(float32(1-s)*scaled) / factor)
			b := float32(s * scaled)
			scaled = float32(a + b)
		}
		inv[i] = scaled
	}
	return inv
}
