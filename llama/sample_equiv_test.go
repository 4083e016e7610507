package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// equivRow fills a logit row of one of several shapes: plain, many ties,
// special values (NaN, ±Inf, ±0), huge magnitudes, one dominant logit,
// all equal, all NaN, all -Inf.
func equivRow(rng *rand.Rand, n, shape int) []float32 {
	x := make([]float32, n)
	scale := []float64{0.01, 1, 3, 10, 60}[rng.IntN(5)]
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	switch shape {
	case 1: // ties: a handful of distinct values
		for i := range x {
			x[i] = float32(rng.IntN(6)) * 0.5
		}
	case 2: // special values sprinkled in
		for range 1 + n/8 {
			x[rng.IntN(n)] = []float32{nan, -inf, inf, 0, float32(math.Copysign(0, -1))}[rng.IntN(5)]
		}
	case 3: // huge and tiny magnitudes
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * []float32{1e38, 1e-38, 1e-45, 3e4}[rng.IntN(4)]
		}
	case 4: // one dominant token
		x[rng.IntN(n)] = 40
	case 5: // all equal
		v := float32(rng.NormFloat64())
		for i := range x {
			x[i] = v
		}
	case 6: // NaN and -Inf only
		for i := range x {
			x[i] = []float32{nan, -inf}[rng.IntN(2)]
		}
	case 7: // ties with NaN and -Inf mixed in
		for i := range x {
			x[i] = []float32{nan, -inf, 1, 1, 2, -0.0}[rng.IntN(6)]
		}
	}
	return x
}

var equivTemps = []float64{1e-300, 1e-30, 1e-3, 0.1, 0.7, 1, 2, 1e3, 1e30, 1e300, math.Inf(1), math.NaN()}
var equivTopPs = []float64{0, 1e-300, 1e-9, 0.3, 0.9, 0.95, 0.999999, 1, 1.5}

// equivTopKs are the top-k settings tried for a vocabulary of n.
func equivTopKs(rng *rand.Rand, n int) []int {
	return []int{0, 1, 2, 5, max(n-1, 1), n, n + 5, 1 + rng.IntN(n)}
}

// checkEquiv draws `draws` tokens from row with the reference and the new
// sampler (same seed) and fails on the first difference.
func checkEquiv(t *testing.T, row []float32, o SampleOptions, seed uint64, draws int, tune func(*Sampler)) *Sampler {
	t.Helper()
	ref, s := newRefSampler(o, seed, 3), NewSampler(o, seed, 3)
	if tune != nil {
		tune(s)
	}
	for d := range draws {
		if want, got := ref.Sample(row), s.Sample(row); want != got {
			t.Fatalf("vocab %d %+v seed %d draw %d: got token %d, the full sort draws %d (row head %v)",
				len(row), o, seed, d, got, want, row[:min(len(row), 8)])
		}
	}
	return s
}

// TestSamplerMatchesFullSort compares Sampler with the full-sort reference
// over random rows of every shape, vocabularies 1..300, every top-k/top-p
// combination and extreme temperatures, in three modes: as used, with
// the bracketed walk forced on every candidate count, and with a bracket
// widened so that its fallback runs often.
func TestSamplerMatchesFullSort(t *testing.T) {
	modes := []struct {
		name string
		tune func(*Sampler)
	}{
		{"default", nil},
		{"bracketed", func(s *Sampler) { s.exactMax = 0 }},
		{"fallback", func(s *Sampler) { s.exactMax, s.slack = 0, 1e12 }},
	}
	step := 1
	if testing.Short() {
		step = 3
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(len(m.name))))
			var fallbacks, draws int
			for n := 1; n <= 300; n += step {
				row := equivRow(rng, n, n%8)
				for _, k := range equivTopKs(rng, n) {
					for _, tp := range equivTopPs {
						temp := equivTemps[rng.IntN(len(equivTemps))]
						o := SampleOptions{Temperature: temp, TopK: k, TopP: tp}
						s := checkEquiv(t, row, o, uint64(n*1000+k), 6, m.tune)
						fallbacks += s.fallbacks
						draws += 6
					}
				}
			}
			t.Logf("%d draws, %d bracket fallbacks", draws, fallbacks)
			if m.name == "fallback" && fallbacks == 0 {
				t.Error("the widened bracket never fell back: the fallback path went untested")
			}
		})
	}
}

// TestSamplerMatchesFullSortLlamaVocab does the same at the LLaMA-3
// vocabulary of 128256 tokens, where the sort used to dominate.
func TestSamplerMatchesFullSortLlamaVocab(t *testing.T) {
	const n = 128256
	rng := rand.New(rand.NewPCG(5, 6))
	rows := 8
	if testing.Short() {
		rows = 3
	}
	var fallbacks int
	for r := range rows {
		row := equivRow(rng, n, []int{0, 1, 2, 4, 0, 3, 7, 0}[r])
		for _, o := range []SampleOptions{
			{Temperature: 1},
			{Temperature: 1, TopP: 0.95},
			{Temperature: 0.7, TopK: 50, TopP: 0.9},
			{Temperature: []float64{1e-3, 2, 1e30}[r%3], TopK: []int{40000, 3, 127000}[r%3], TopP: []float64{0, 0.5, 0.999}[r%3]},
		} {
			fallbacks += checkEquiv(t, row, o, uint64(r), 3, nil).fallbacks
		}
	}
	if fallbacks > 0 {
		t.Logf("%d bracket fallbacks", fallbacks)
	}
}

// TestSumBracket checks the bracket's premise directly: the left-to-right
// sum in candidate order lies inside the bracket of the sum in row order,
// for rows whose terms span many magnitudes (where rounding differs most).
func TestSumBracket(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for trial := range 300 {
		n := 2 + rng.IntN(5000)
		terms := make([]float64, n)
		for i := range terms {
			terms[i] = math.Exp(-rng.Float64() * float64(trial%40))
			if trial%3 == 0 {
				terms[i] = float64(float32(terms[i])) * (1 + 0x1p-30*float64(i%7))
			}
		}
		var est float64
		for _, v := range terms {
			est += v
		}
		lo, hi := sumBracket(est, n, 0, 1)
		for _, order := range []string{"desc", "asc", "shuffled"} {
			c := slices.Clone(terms)
			switch order {
			case "desc":
				slices.SortFunc(c, func(a, b float64) int { return -cmpF(a, b) })
			case "asc":
				slices.Sort(c)
			default:
				rng.Shuffle(n, func(i, j int) { c[i], c[j] = c[j], c[i] })
			}
			var s float64
			for _, v := range c {
				s += v
			}
			if s < lo || s > hi {
				t.Fatalf("trial %d (%s, n=%d): ordered sum %v outside [%v, %v]", trial, order, n, s, lo, hi)
			}
		}
	}
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestSamplerEmptyRowPanics pins the documented contract for an empty row.
func TestSamplerEmptyRowPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || fmt.Sprint(r) == "" {
			t.Error("Sample of an empty row did not panic with a message")
		}
	}()
	NewSampler(SampleOptions{Temperature: 1}, 1, 1).Sample(nil)
}

// TestFastExp measures fastExp against math.Exp over [-700, 0] (dense
// random points, range-reduction boundaries and the ends) and checks the
// cut-off below -700, NaN and -Inf.
func TestFastExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := []float64{0, -0.0, -1e-300, -math.Ln2 / 256, -math.Ln2 / 128, -1, -700, -699.9999}
	for n := range 129000 {
		xs = append(xs, -float64(n)*math.Ln2/128, -(float64(n)+0.5)*math.Ln2/128)
	}
	for range 400000 {
		xs = append(xs, -rng.Float64()*700, -rng.ExpFloat64())
	}
	var worst float64
	for _, x := range xs {
		if x < -700 {
			continue
		}
		want := math.Exp(x)
		e := math.Abs(fastExp(x)-want) / want
		worst = max(worst, e)
		if e > fastExpRelErr/100 {
			t.Fatalf("fastExp(%v) = %v, math.Exp %v: relative error %.3g", x, fastExp(x), want, e)
		}
	}
	t.Logf("worst relative error %.3g over %d points", worst, len(xs))
	for _, x := range []float64{-700.0001, -745.2, -1e300, math.Inf(-1), math.NaN()} {
		if got := fastExp(x); got != 0 {
			t.Errorf("fastExp(%v) = %v, want 0", x, got)
		}
	}
	if fastExp(0) != 1 {
		t.Errorf("fastExp(0) = %v, want exactly 1 (the bracket relies on est >= 1/2)", fastExp(0))
	}
}

// FuzzSamplerMatchesFullSort feeds arbitrary rows (4 bytes per logit,
// any bit pattern) and options to Sampler and the full-sort reference.
func FuzzSamplerMatchesFullSort(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 128, 63}, 1.0, 0, 0.0, uint64(1), false)
	f.Add([]byte{0, 0, 192, 127, 0, 0, 128, 255, 0, 0, 0, 128, 0, 0, 0, 0}, 0.5, 2, 0.9, uint64(7), true)
	f.Add(make([]byte, 4*24), 1e30, 0, 0.3, uint64(3), true) // small seeds: see FuzzGGUF
	f.Fuzz(func(t *testing.T, data []byte, temp float64, topK int, topP float64, seed uint64, bracketed bool) {
		n := min(len(data)/4, 4096)
		if n == 0 || topK < 0 || math.IsNaN(topP) || topP < 0 {
			return
		}
		row := make([]float32, n)
		for i := range row {
			row[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
		}
		tune := func(s *Sampler) {
			if bracketed {
				s.exactMax = 0
			}
		}
		checkEquiv(t, row, SampleOptions{Temperature: temp, TopK: topK, TopP: topP}, seed, 3, tune)
	})
}
