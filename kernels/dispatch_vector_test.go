package kernels

import (
	"reflect"
	"testing"
)

// TestVectorDispatch checks that switching paths installs the vector and
// attention kernels of that path, and that going back to the generic path
// restores every portable kernel (including the tiled attention's internal
// ones, which setGeneric does not know about).
func TestVectorDispatch(t *testing.T) {
	old := ActivePath()
	defer SetPath(old)
	ptr := func(f any) uintptr { return reflect.ValueOf(f).Pointer() }
	for _, p := range append(AvailablePaths(), PathGeneric) {
		if !SetPath(p) || ActivePath() != p {
			t.Fatalf("SetPath(%s) failed (active %s)", p, ActivePath())
		}
		generic := p == PathGeneric
		for _, c := range []struct {
			name      string
			got, want any
		}{
			{"dot", dot, DotGeneric}, {"exp", expv, ExpGeneric}, {"softmax", softmax, SoftmaxGeneric},
			{"f16ToF32", f16ToF32, F16ToF32Generic}, {"attention", attention, AttentionGeneric},
			{"attentionBackward", attentionBackward, AttentionBackwardGeneric},
			{"attnTile", attnTile, tileMulAddGeneric}, {"expSubSum", expSubSum, expSubSumGeneric},
			{"attnRowScores", attnRowScores, rowScoresGeneric},
		} {
			if isGeneric := ptr(c.got) == ptr(c.want); isGeneric != generic {
				t.Errorf("path %s: %s generic=%v, want %v", p, c.name, isGeneric, generic)
			}
		}
	}
	if SetPath("no-such-path") {
		t.Fatal("SetPath accepted an unknown path")
	}
}
