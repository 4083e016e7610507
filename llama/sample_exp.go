package llama

import "math"

// fastExp approximates exp(x) for the sampler's bracketing sum, about 3x
// cheaper than math.Exp: x = n·ln2/128 + r with |r| <= ln2/256, exp(x) =
// 2^(n>>7) · 2^((n&127)/128) · p(r) with p the degree-4 Taylor polynomial
// (remainder < r⁵/120·e^|r| < 1.3e-15). For x in [-700, 0] its relative
// error against the true exp is below a few 1e-15 (range reduction exact
// by Sterbenz's lemma, table entries and polynomial rounded to a few ulp);
// fastExpRelErr claims 1e-12, a wide margin that also covers math.Exp's
// own error, and TestFastExp measures it. Below -700 (and for NaN) it
// returns 0, an absolute error under e⁻⁷⁰⁰ < 1e-300. x must be <= 0.
func fastExp(x float64) float64 {
	if !(x >= -700) {
		return 0
	}
	const (
		invStep = 128 / math.Ln2
		// ln2/128 split in a 32-bit head (n·stepHi exact for |n| < 2^21)
		// and the rest.
		stepHi = 0x1.62e42fefp-8
		stepLo = math.Ln2/128 - stepHi
	)
	n := int(x*invStep - 0.5) // round to nearest for x <= 0
	r := (x - float64(n)*stepHi) - float64(n)*stepLo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24))))
	scale := math.Float64frombits(uint64(1023+(n>>7)) << 52)
	return scale * (expTable[n&127] * p)
}

// fastExpRelErr bounds fastExp's relative error against math.Exp on
// [-700, 0] (see fastExp).
const fastExpRelErr = 1e-12

// expTable[j] = 2^(j/128).
var expTable = func() (t [128]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 128)
	}
	return t
}()
