package data

import (
	"sort"

	"github.com/popi-go/popi/popi/world"
)

// WorldDataset builds the training (heldOut false) or held-out Dataset of a persona world
// directly, without a file: the same users, personas (ground-truth sentences) and pairs as
// WriteFSPO followed by LoadFSPO, with noisy labels flipped the same way.
func WorldDataset(w *world.World, heldOut bool) *Dataset {
	d := &Dataset{Family: FamilyELIX}
	for _, wu := range w.Users(heldOut) {
		u := &User{ID: wu.ID, Persona: wu.Persona.Sentence()}
		for i, p := range wu.Pairs {
			pp := PrefPair{Prompt: p.Prompt, Chosen: p.Chosen, Rejected: p.Rejected}
			if p.Noisy {
				pp.Chosen, pp.Rejected = pp.Rejected, pp.Chosen
			}
			u.Pairs = append(u.Pairs, pp)
			u.Sources = append(u.Sources, Source{File: "world", Row: i + 1})
		}
		d.Users = append(d.Users, u)
	}
	sort.Slice(d.Users, func(i, j int) bool { return d.Users[i].ID < d.Users[j].ID })
	return d
}

// WorldPairs converts persona-world pairs to preference pairs (true chosen first).
func WorldPairs(ps []world.Pair) []PrefPair {
	out := make([]PrefPair, len(ps))
	for i, p := range ps {
		out[i] = PrefPair{Prompt: p.Prompt, Chosen: p.Chosen, Rejected: p.Rejected}
	}
	return out
}
