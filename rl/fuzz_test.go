package rl

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzPreferenceLoss: any inputs give either an error or a finite, non-negative loss with
// finite derivatives satisfying DRejected = -DChosen.
func FuzzPreferenceLoss(f *testing.F) {
	f.Add(-84.4, -112.1, -82.3, -115.7, 0.1, 0.0, false)
	f.Add(0.0, 0.0, 0.0, 0.0, 1.0, 0.25, false)
	f.Add(-1e300, 1e300, 0.0, 0.0, 1e10, 0.1, false)
	f.Add(-3.0, -1.0, -2.0, -2.0, 0.5, 0.0, true)
	f.Add(math.NaN(), 0.0, 0.0, 0.0, 1.0, 0.0, true)
	f.Fuzz(func(t *testing.T, c, r, rc, rr, beta, eps float64, ipo bool) {
		cfg := PreferenceConfig{Kind: DPOLoss, Beta: beta, LabelSmoothing: eps}
		if ipo {
			cfg.Kind = IPOLoss
		}
		res, err := PreferenceLoss(cfg, PairLogProbs{c, r, rc, rr})
		if err != nil {
			return
		}
		if !finite(res.Loss) || res.Loss < 0 || !finite(res.DChosen) || res.DRejected != -res.DChosen {
			t.Fatalf("%+v %+v -> %+v", cfg, PairLogProbs{c, r, rc, rr}, res)
		}
	})
}

// FuzzGRPOObjective decodes a small batch from bytes: any batch gives either an error or a
// finite loss and finite gradient of the right shape, and non-negative KL.
func FuzzGRPOObjective(f *testing.F) {
	seed := func(vals ...float64) []byte {
		b := make([]byte, 0, 8*len(vals))
		for _, v := range vals {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	f.Add(uint8(2), seed(-1, -1.1, -2, 0.5, -0.3, -0.2, -0.9, -1.5), 0.2, 0.28, 0.04)
	f.Add(uint8(1), seed(0, -800, 0, 1e300), 0.2, 0.2, 1.0)
	f.Add(uint8(3), seed(math.NaN(), -1, -1, 1), 0.1, 0.1, 0.0)
	f.Fuzz(func(t *testing.T, tokens uint8, data []byte, epsLow, epsHigh, alpha float64) {
		T := int(tokens%8) + 1
		vals := make([]float64, 0, len(data)/8)
		for i := 0; i+8 <= len(data); i += 8 {
			vals = append(vals, math.Float64frombits(binary.LittleEndian.Uint64(data[i:])))
		}
		// Each sequence takes 3T + 1 values: lp, old, ref per token and an advantage.
		per := 3*T + 1
		var lp, old, ref [][]float64
		var adv []float64
		var lengths []int
		for s := 0; s+per <= len(vals) && s < 8*per; s += per {
			v := vals[s : s+per]
			lp, old, ref = append(lp, v[:T]), append(old, v[T:2*T]), append(ref, v[2*T:3*T])
			adv = append(adv, v[3*T])
			lengths = append(lengths, T)
		}
		if len(lp) == 0 {
			return
		}
		w, err := TokenWeights(lengths, AggDAPO, 8)
		if err != nil {
			t.Fatal(err)
		}
		res, err := GRPOObjective(lp, old, ref, adv, w, SurrogateParams{EpsLow: epsLow, EpsHigh: epsHigh, Alpha: alpha})
		if err != nil {
			return
		}
		if !finite(res.Loss) || res.KLSum < 0 || len(res.Grad) != len(lp) {
			t.Fatalf("loss %v kl %v", res.Loss, res.KLSum)
		}
		for i := range res.Grad {
			if len(res.Grad[i]) != T {
				t.Fatalf("gradient row %d has %d entries", i, len(res.Grad[i]))
			}
			for _, g := range res.Grad[i] {
				if !finite(g) {
					t.Fatalf("non-finite gradient %v", res.Grad)
				}
			}
		}
	})
}
