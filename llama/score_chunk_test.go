package llama

import (
	"math"
	"testing"
)

// Scoring computes the logits in row chunks once a pass's logit matrix
// exceeds scoreLogitElems; the scores are bit for bit those of one
// unchunked projection (with and without an adapter).
func TestScoreChunkedLogits(t *testing.T) {
	base := loadGolden(t, ".", LoadOptions{})
	seq := goldenInputs(t)[2]
	prompt := seq[:10]
	var conts [][]int
	for i := 0; i < 6; i++ {
		c := make([]int, 100)
		for j := range c {
			c[j] = (i*131 + j*17 + 5) % base.Config.Vocab
		}
		conts = append(conts, c)
	}
	if b := scoreChunks(594, 128256); len(b) != 4 || b[1] != 198 {
		t.Errorf("594 rows of a 128k vocabulary split as %v", b)
	}
	for _, m := range []*Model{base, randomAdapterView(t, base, AdapterConfig{R: 4, Alpha: 4}, 2)} {
		whole, err := m.Score(prompt, conts)
		if err != nil {
			t.Fatal(err)
		}
		old := scoreLogitElems
		scoreLogitElems = 1 // chunks of about scoreMinChunkRows rows
		chunked, err := m.Score(prompt, conts)
		scoreLogitElems = old
		if err != nil {
			t.Fatal(err)
		}
		if n := len(scoreChunks(6*99, m.Config.Vocab)); n != 2 {
			t.Fatalf("the test's pass is not unchunked by default (%d bounds)", n)
		}
		for i := range whole {
			for j, v := range whole[i].TokenLogProbs {
				if math.Float64bits(v) != math.Float64bits(chunked[i].TokenLogProbs[j]) {
					t.Fatalf("continuation %d token %d: %v chunked, %v whole", i, j, chunked[i].TokenLogProbs[j], v)
				}
			}
		}
	}
}
