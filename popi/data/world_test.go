package data

import (
	"path/filepath"
	"testing"

	"github.com/popi-go/popi/popi/world"
)

// The persona world's files load through the same FSPO loader as real data, and the
// loaded pairs are the world's pairs (with noisy labels flipped).
func TestWorldRoundTripThroughLoader(t *testing.T) {
	w, err := world.New(world.Config{Seed: 11, TrainUsers: 12, HeldOutUsers: 4, PairsPerUser: 10, NoiseRate: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, heldOut := range []bool{false, true} {
		p := filepath.Join(dir, map[bool]string{false: "train.jsonl", true: "heldout.jsonl"}[heldOut])
		if err := w.WriteFSPO(p, heldOut); err != nil {
			t.Fatal(err)
		}
		d, err := LoadFSPO(FamilyELIX, p)
		if err != nil {
			t.Fatal(err)
		}
		direct := WorldDataset(w, heldOut)
		for i, u := range d.Users {
			if direct.Users[i].ID != u.ID || direct.Users[i].Persona != u.Persona || len(direct.Users[i].Pairs) != len(u.Pairs) {
				t.Fatalf("WorldDataset user %d differs from the loaded file", i)
			}
			for k := range u.Pairs {
				if direct.Users[i].Pairs[k] != u.Pairs[k] {
					t.Fatalf("WorldDataset pair differs for %s", u.ID)
				}
			}
		}
		users := w.Users(heldOut)
		if len(d.Users) != len(users) {
			t.Fatalf("%d users loaded, want %d", len(d.Users), len(users))
		}
		for _, wu := range users {
			u := d.User(wu.ID)
			if u == nil || u.Persona != wu.Persona.Sentence() || len(u.Pairs) != len(wu.Pairs) {
				t.Fatalf("user %s: %+v", wu.ID, u)
			}
			for i, wp := range wu.Pairs {
				want := PrefPair{wp.Prompt, wp.Chosen, wp.Rejected}
				if wp.Noisy {
					want.Chosen, want.Rejected = want.Rejected, want.Chosen
				}
				if u.Pairs[i] != want {
					t.Fatalf("user %s pair %d: %+v, want %+v", wu.ID, i, u.Pairs[i], want)
				}
			}
		}
	}
	tr, _ := LoadFSPO(FamilyELIX, filepath.Join(dir, "train.jsonl"))
	ho, _ := LoadFSPO(FamilyELIX, filepath.Join(dir, "heldout.jsonl"))
	if err := CheckDisjointUsers(tr, ho); err != nil {
		t.Fatal(err)
	}
}
