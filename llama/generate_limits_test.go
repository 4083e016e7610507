package llama

import (
	"math"
	"runtime"
	"testing"
)

// A huge MaxTokens allocates only for the tokens generated: the KV cache and the output
// grow on demand (issue 16, item 4: the cache was preallocated for MaxTokens positions
// when the config has no max_position_embeddings, and 9e18 made makeslice panic).
func TestGenerateHugeMaxTokens(t *testing.T) {
	for _, maxPos := range []int{0, 131072} {
		m := loadGolden(t, ".", LoadOptions{})
		m.dims.maxPos, m.Config.MaxPositions = maxPos, maxPos
		for _, maxTokens := range []int{1 << 22, 1e9, math.MaxInt} {
			var a, b runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&a)
			n := 0
			c, err := m.Generate([]int{376, 5, 6}, GenerateOptions{MaxTokens: maxTokens, StopTokens: []int{},
				Stream: func(_, _ int) bool { n++; return n < 40 }})
			runtime.ReadMemStats(&b)
			if err != nil || len(c.Tokens) != 40 || c.Finish != FinishCallback {
				t.Fatalf("maxPos %d, MaxTokens %d: %d tokens, %v, %v", maxPos, maxTokens, len(c.Tokens), c.Finish, err)
			}
			if got := b.TotalAlloc - a.TotalAlloc; got > 16<<20 {
				t.Errorf("maxPos %d, MaxTokens %d: 40 tokens allocated %d bytes", maxPos, maxTokens, got)
			}
		}
	}
}
