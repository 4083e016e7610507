package data

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
)

// seedHash mixes a seed and a string into a 64-bit value (FNV-1a), the basis of every
// deterministic per-user choice in this package.
func seedHash(seed uint64, s string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(s))
	return h.Sum64()
}

// SplitUsers splits d by user into a training set and a held-out set holding
// round(heldOutFrac*len(users)) users (at least one, and at least one user stays in
// training). The choice is a deterministic function of the seed and the user IDs only,
// so adding a file of new users does not move existing users between the sides.
func SplitUsers(d *Dataset, heldOutFrac float64, seed uint64) (train, heldOut *Dataset, err error) {
	n := len(d.Users)
	if !(heldOutFrac > 0 && heldOutFrac < 1) {
		return nil, nil, fmt.Errorf("popi: SplitUsers: held-out fraction %v must be in (0, 1)", heldOutFrac)
	}
	if n < 2 {
		return nil, nil, fmt.Errorf("popi: SplitUsers: need at least 2 users to split, have %d", n)
	}
	k := int(math.Round(heldOutFrac * float64(n)))
	k = max(1, min(k, n-1))
	order := make([]*User, n)
	copy(order, d.Users)
	sort.Slice(order, func(i, j int) bool {
		hi, hj := seedHash(seed, order[i].ID), seedHash(seed, order[j].ID)
		if hi != hj {
			return hi < hj
		}
		return order[i].ID < order[j].ID
	})
	heldOut = &Dataset{Family: d.Family, Users: append([]*User(nil), order[:k]...)}
	train = &Dataset{Family: d.Family, Users: append([]*User(nil), order[k:]...)}
	for _, s := range []*Dataset{train, heldOut} {
		sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].ID < s.Users[j].ID })
	}
	if err := CheckDisjointUsers(train, heldOut); err != nil {
		return nil, nil, err
	}
	return train, heldOut, nil
}

// CheckDisjointUsers returns an error naming the first user present in both datasets.
func CheckDisjointUsers(train, heldOut *Dataset) error {
	seen := make(map[string]bool, len(train.Users))
	for _, u := range train.Users {
		seen[u.ID] = true
	}
	for _, u := range heldOut.Users {
		if seen[u.ID] {
			return fmt.Errorf("popi: held-out user %q also appears in the training set", u.ID)
		}
	}
	return nil
}
