package llama

import (
	"math"
	"testing"
)

// sampleDist is the exact distribution Sample should draw from, computed
// independently: softmax(logits/T) restricted by top-k then top-p.
func sampleDist(logits []float32, o SampleOptions) []float64 {
	n := len(logits)
	p := make([]float64, n)
	var sum float64
	for i, l := range logits {
		p[i] = math.Exp(float64(l) / o.Temperature)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = true
	}
	if o.TopK > 0 {
		for i := range logits {
			higher := 0
			for j := range logits {
				if logits[j] > logits[i] {
					higher++
				}
			}
			keep[i] = higher < o.TopK
		}
	}
	var kept float64
	for i := range p {
		if keep[i] {
			kept += p[i]
		}
	}
	if o.TopP > 0 && o.TopP < 1 {
		for i := range p {
			if !keep[i] {
				continue
			}
			var above float64 // mass of kept tokens ranked before i
			for j := range p {
				if keep[j] && (logits[j] > logits[i] || (logits[j] == logits[i] && j < i)) {
					above += p[j] / kept
				}
			}
			keep[i] = above < o.TopP
		}
	}
	sum = 0
	for i := range p {
		if !keep[i] {
			p[i] = 0
		}
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

func TestSamplerDistribution(t *testing.T) {
	logits := []float32{1.0, 2.5, -0.5, 2.0, 0.3, 2.5, -3, 1.7}
	const draws = 40000
	for _, o := range []SampleOptions{
		{Temperature: 1},
		{Temperature: 0.5},
		{Temperature: 2, TopK: 3},
		{Temperature: 1, TopP: 0.8},
		{Temperature: 0.7, TopK: 5, TopP: 0.6},
	} {
		want := sampleDist(logits, o)
		s := NewSampler(o, 42, 0)
		count := make([]float64, len(logits))
		for range draws {
			count[s.Sample(logits)]++
		}
		for i := range count {
			got := count[i] / draws
			sd := math.Sqrt(want[i]*(1-want[i])/draws) + 1e-9
			if math.Abs(got-want[i]) > 5*sd || (want[i] == 0 && count[i] > 0) {
				t.Errorf("%+v: token %d frequency %.4f, want %.4f", o, i, got, want[i])
			}
		}
	}
}

func TestSamplerGreedyCases(t *testing.T) {
	logits := []float32{0.1, 3, -1, 3, 2.9}
	for _, o := range []SampleOptions{{}, {Temperature: 1, TopK: 1}, {Temperature: 1, TopP: 1e-6}} {
		s := NewSampler(o, 1, 0)
		for range 50 {
			if got := s.Sample(logits); got != 1 {
				t.Fatalf("%+v: sampled %d, want the first argmax 1", o, got)
			}
		}
	}
	if Argmax([]float32{float32(math.NaN()), 1, 2}) != 2 {
		t.Error("Argmax picked a NaN")
	}
	// Reproducible per (seed, stream); different streams differ.
	a, b, c := NewSampler(SampleOptions{Temperature: 1}, 9, 0), NewSampler(SampleOptions{Temperature: 1}, 9, 0), NewSampler(SampleOptions{Temperature: 1}, 9, 1)
	flat := make([]float32, 100)
	same, diff := true, false
	for range 50 {
		x, y, z := a.Sample(flat), b.Sample(flat), c.Sample(flat)
		same = same && x == y
		diff = diff || x != z
	}
	if !same || !diff {
		t.Errorf("seeding: same seed equal %v, other stream differs %v", same, diff)
	}
}
