package data

import (
	"strings"
	"testing"
)

// The checked-in samples mimic files as users download them.
func TestLoadCheckedInSamples(t *testing.T) {
	elix, err := LoadFSPO(FamilyELIX, "testdata/elix_sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	kid := elix.User("elementary school student")
	if len(elix.Users) != 2 || kid == nil || len(kid.Pairs) != 2 || !strings.HasPrefix(kid.Pairs[1].Chosen, "Leaves have green stuff") {
		t.Fatalf("ELIX sample: %+v", elix.Users)
	}
	rp, err := LoadFSPO(FamilyRoleplay, "testdata/roleplay_sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if u := rp.User("persona-17"); u == nil || len(u.Pairs) != 2 || !strings.Contains(u.Persona, "pirate") {
		t.Fatalf("Roleplay sample: %+v", rp.Users)
	}
	ax, err := LoadAlignX("testdata/alignx_sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(ax) != 2 || ax[1].Direction != nil || ax[1].Demographic != "" || len(ax[0].UGC) != 1 {
		t.Fatalf("AlignX sample: %+v", ax)
	}
	txt, _, err := ax[0].SignalText(SignalSet{Demographic: true}, SignalsDirection)
	if err != nil || txt != "High Neuroticism, Indifferent about harmlessness, Likes fashion" {
		t.Fatalf("direction %q %v", txt, err)
	}
	if _, err := ax[1].RenderAlignXRaw(SplitDEMO); err == nil {
		t.Fatal("DEMO split of a record without demographics accepted")
	}
	if s, err := ax[1].RenderAlignXRaw(SplitPAIR); err != nil || !strings.Contains(s, "biggest battery") {
		t.Fatalf("PAIR %q %v", s, err)
	}
	eps, _, err := elix.Episodes(EpisodeConfig{NumShots: 1, Seed: 3})
	if err != nil || len(eps) != 2 || len(eps[0].Targets) != 1 {
		t.Fatalf("episodes %+v %v", eps, err)
	}
}
