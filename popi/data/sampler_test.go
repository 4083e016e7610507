package data

import (
	"reflect"
	"strings"
	"testing"
)

func checkEpisode(t *testing.T, ep Episode, shots, targets int) {
	t.Helper()
	if len(ep.Signals) != shots || len(ep.Targets) != targets {
		t.Fatalf("episode of %s: %d signals, %d targets; want %d, %d", ep.UserID, len(ep.Signals), len(ep.Targets), shots, targets)
	}
	tp := map[string]bool{}
	seen := map[PrefPair]bool{}
	for _, p := range ep.Targets {
		tp[p.Prompt] = true
		if seen[p] {
			t.Fatalf("target repeated: %+v", p)
		}
		seen[p] = true
	}
	for _, p := range ep.Signals {
		if seen[p] || tp[p.Prompt] {
			t.Fatalf("signal %+v overlaps the targets of %s", p, ep.UserID)
		}
		seen[p] = true
	}
}

// Per-step sampling: the family's shots (4 ELIX, 8 Roleplay), fresh signals per key,
// reproducible per seed, signals and targets never sharing a pair or a prompt.
func TestSamplerFreshReproducibleDisjoint(t *testing.T) {
	for _, c := range []struct {
		fam   Family
		file  string
		shots int
	}{{FamilyELIX, "elix_train", 4}, {FamilyRoleplay, "roleplay_train.parquet", 8}} {
		d, err := LoadFSPO(c.fam, pub+c.file)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSampler(d, SamplerConfig{Targets: 2, Samples: 20, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if s.Shots() != c.shots || len(s.Anchors) != 20 || s.Available != d.NumPairs() || len(s.Skipped) != 0 {
			t.Fatalf("%v: shots %d, %d samples of %d, skipped %v", c.fam, s.Shots(), len(s.Anchors), s.Available, s.Skipped)
		}
		s2, _ := NewSampler(d, SamplerConfig{Targets: 2, Samples: 20, Seed: 7})
		s3, _ := NewSampler(d, SamplerConfig{Targets: 2, Samples: 20, Seed: 8})
		if !reflect.DeepEqual(s.Anchors, s2.Anchors) || reflect.DeepEqual(s.Anchors, s3.Anchors) {
			t.Fatal("sample selection not a function of the seed")
		}
		changed := 0
		for i := range s.Anchors {
			a, b := s.Episode(i, 3), s2.Episode(i, 3)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("sample %d: same seed and key, different episodes", i)
			}
			checkEpisode(t, a, c.shots, 2)
			u := s.Users[s.Anchors[i].User]
			if a.Targets[0] != u.Pairs[s.Anchors[i].Pair] || a.UserID != u.ID || a.Persona != u.Persona {
				t.Fatalf("sample %d: episode %+v is not its anchor's", i, a)
			}
			if !reflect.DeepEqual(a.Signals, s.Episode(i, 4).Signals) {
				changed++
			}
			checkEpisode(t, s.SingleTargetEpisode(i, 9), c.shots, 1)
		}
		if changed < len(s.Anchors)/2 {
			t.Fatalf("%v: only %d of %d samples got fresh signals at the next step", c.fam, changed, len(s.Anchors))
		}
	}
	// Users with fewer distinct prompts than shots + targets are skipped; none left is an error.
	d, _ := LoadFSPO(FamilyRoleplay, pub+"roleplay_train.parquet")
	if _, err := NewSampler(d, SamplerConfig{Shots: 12, Targets: 1}); err == nil || !strings.Contains(err.Error(), "13 distinct prompts") {
		t.Fatalf("too few prompts: %v", err)
	}
	d.Users[1].Pairs = d.Users[1].Pairs[:5]
	s, err := NewSampler(d, SamplerConfig{Targets: 1})
	if err != nil || !reflect.DeepEqual(s.Skipped, []string{d.Users[1].ID}) || len(s.Anchors) != 24 {
		t.Fatalf("skip: %v %v %d", err, s.Skipped, len(s.Anchors))
	}
}

// The official test split: seen personas, unseen prompts. Signals come from the training
// pool, targets from the test file, and no test prompt reaches training.
func TestTestSplitProtocolNeverLeaks(t *testing.T) {
	train, err := LoadFSPO(FamilyELIX, pub+"elix_train.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	test, err := LoadFSPO(FamilyELIX, pub+"elix_test.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ClassifyHeldOut(train, test); err != nil || k != HeldOutTestSplit {
		t.Fatalf("kind %v %v", k, err)
	}
	// Plant a test prompt in the training pool: it must be removed before training.
	testPrompts := test.Prompts()
	leak := test.Users[0].Pairs[0]
	train.Users[2].Pairs = append(train.Users[2].Pairs, leak)
	train.Users[2].Sources = append(train.Users[2].Sources, Source{File: "planted"})
	clean, removed := train.WithoutPrompts(testPrompts)
	if removed != 1 || clean.NumPairs() != 40 {
		t.Fatalf("removed %d, %d pairs left", removed, clean.NumPairs())
	}
	eps, skipped, err := TestSplitEpisodes(clean, test, EpisodeConfig{NumTargets: 2, Seed: 5})
	if err != nil || len(skipped) != 0 {
		t.Fatal(err, skipped)
	}
	// 5 users x 3 test pairs in chunks of 2: 10 episodes, round-robin over users.
	if len(eps) != 10 || eps[0].UserID == eps[1].UserID || len(eps[9].Targets) != 1 {
		t.Fatalf("%d episodes: %s %s", len(eps), eps[0].UserID, eps[1].UserID)
	}
	trainPrompts := clean.Prompts()
	for _, ep := range eps {
		checkEpisode(t, ep, 4, len(ep.Targets))
		for _, p := range ep.Signals {
			if testPrompts[p.Prompt] || !trainPrompts[p.Prompt] {
				t.Fatalf("signal %q is not from the training pool", p.Prompt)
			}
		}
		for _, p := range ep.Targets {
			if !testPrompts[p.Prompt] {
				t.Fatalf("target %q is not from the test file", p.Prompt)
			}
		}
	}
	again, _, _ := TestSplitEpisodes(clean, test, EpisodeConfig{NumTargets: 2, Seed: 5})
	if !reflect.DeepEqual(eps, again) {
		t.Fatal("test-split episodes not reproducible")
	}
	// Held-out users are disjoint; a mix of both is refused.
	if k, err := ClassifyHeldOut(&Dataset{Users: train.Users[:2]}, &Dataset{Users: train.Users[2:]}); err != nil || k != HeldOutUsers {
		t.Fatalf("held-out users: %v %v", k, err)
	}
	if _, err := ClassifyHeldOut(&Dataset{Users: train.Users[:2]}, &Dataset{Users: train.Users[1:3]}); err == nil {
		t.Fatal("mixed held-out data accepted")
	}
}

// AlignX training follows the authors' protocol: 0-4 UGC and 0-4 pairs per draw, at least
// one item, never the demographics; reproducible per seed, fresh per key.
func TestAlignXSamplerAuthorsProtocol(t *testing.T) {
	recs, err := LoadAlignX(pub + "alignx_train.parquet")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewAlignXSampler(recs, SignalsRaw, 8, 3)
	if err != nil || len(s.Anchors) != 8 || s.Available != 12 {
		t.Fatalf("%v %d", err, len(s.Anchors))
	}
	distinct := map[string]bool{}
	for key := uint64(0); key < 6; key++ {
		for i := range s.Anchors {
			ep, ft, err := s.Episode(i, key)
			if err != nil || ft {
				t.Fatal(err)
			}
			again, _, _ := s.Episode(i, key)
			if !reflect.DeepEqual(ep, again) {
				t.Fatal("draw not reproducible")
			}
			txt := ep.SignalText
			if strings.Contains(txt, "Demographic") || strings.Count(txt, "### Comment") > 4 || strings.Count(txt, "### Preferred Comment") > 4 || txt == "" {
				t.Fatalf("signals break the protocol: %q", txt)
			}
			distinct[txt] = true
		}
	}
	if len(distinct) < 12 {
		t.Fatalf("only %d distinct signal sets over 48 draws", len(distinct))
	}
	ds, err := NewAlignXSampler(recs, SignalsDirection, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	ep, ft, err := ds.Episode(0, 1)
	if err != nil || ft || strings.Contains(ep.SignalText, "##") {
		t.Fatalf("direction episode %q %v %v", ep.SignalText, ft, err)
	}
}
