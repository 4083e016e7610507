package rl_test

import (
	"fmt"

	"github.com/popi-go/popi/rl"
)

// The DPO and IPO losses of the tiny-llama3 golden pair (sequence log-probs from
// testdata/tiny-llama3/dpo.json).
func ExamplePreferenceLoss() {
	pair := rl.PairLogProbs{
		Chosen: -84.42838935653063, Rejected: -112.09252752839113,
		RefChosen: -82.25999890988177, RefRejected: -115.67389747366445,
	}
	dpo, _ := rl.PreferenceLoss(rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1}, pair)
	ipo, _ := rl.PreferenceLoss(rl.PreferenceConfig{Kind: rl.IPOLoss, Beta: 0.1}, pair)
	fmt.Printf("h %.6f\nDPO %.6f (dL/dh %.6f)\nIPO %.4f (dL/dh %.4f)\nmargin %.4f correct %v\n",
		dpo.H, dpo.Loss, dpo.DH, ipo.Loss, ipo.DH, dpo.Margin, dpo.Correct)
	// Output:
	// h -5.749760
	// DPO 1.021403 (dL/dh -0.063991)
	// IPO 115.5573 (dL/dh -21.4995)
	// margin -0.5750 correct false
}

// Group-relative advantages of two prompts with three sampled completions each.
func ExampleAdvantages() {
	adv, st, _ := rl.Advantages([][]float64{{0, 1, 2}, {1, 1, 1}}, rl.ScaleGroup, 0)
	fmt.Println(adv, st.ZeroVarianceGroups)
	// Output: [[-1 0 1] [0 0 0]] 1
}
