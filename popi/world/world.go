package world

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Config sizes a world. Zero fields take the defaults in parentheses.
type Config struct {
	Seed          uint64
	TrainUsers    int     // users whose pairs are for training (96)
	HeldOutUsers  int     // users reserved for evaluation (24)
	PairsPerUser  int     // preference pairs labelled by each user (24)
	HeldOutTopics int     // topics reserved for held-out users (12 of the 48)
	NoiseRate     float64 // probability that a recorded label is flipped (0)
}

func (c *Config) defaults() error {
	if c.TrainUsers == 0 {
		c.TrainUsers = 96
	}
	if c.HeldOutUsers == 0 {
		c.HeldOutUsers = 24
	}
	if c.PairsPerUser == 0 {
		c.PairsPerUser = 24
	}
	if c.HeldOutTopics == 0 {
		c.HeldOutTopics = 12
	}
	switch {
	case c.TrainUsers < 1 || c.HeldOutUsers < 1:
		return errors.New("world: need at least one training and one held-out user")
	case c.PairsPerUser < 2:
		return errors.New("world: need at least 2 pairs per user")
	case c.HeldOutTopics < 1 || c.HeldOutTopics >= NumTopics:
		return fmt.Errorf("world: held-out topics must be in [1, %d), got %d", NumTopics, c.HeldOutTopics)
	case !(c.NoiseRate >= 0 && c.NoiseRate < 0.5):
		return fmt.Errorf("world: noise rate must be in [0, 0.5), got %v", c.NoiseRate)
	}
	return nil
}

// Pair is one preference pair with its hidden truth. Chosen fits the user's persona;
// Rejected was written in RejectedStyle, which differs in at least one attribute. When
// Noisy, the label recorded in exported files is flipped (Chosen is still the better fit).
type Pair struct {
	Prompt        string
	Topic         string
	Chosen        string
	Rejected      string
	RejectedStyle Persona
	Noisy         bool
}

// User is a user with a hidden persona.
type User struct {
	ID      string
	Persona Persona
	HeldOut bool
	Pairs   []Pair
}

// World is a generated persona world.
type World struct {
	Config        Config
	TrainTopics   []string
	HeldOutTopics []string
	Train         []*User
	HeldOut       []*User
}

// New generates a world; the result is a deterministic function of cfg.
func New(cfg Config) (*World, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	w := &World{Config: cfg}
	perm := rng.Perm(NumTopics)
	for i, t := range perm {
		if i < cfg.HeldOutTopics {
			w.HeldOutTopics = append(w.HeldOutTopics, topics[t])
		} else {
			w.TrainTopics = append(w.TrainTopics, topics[t])
		}
	}
	personas := AllPersonas()
	mk := func(n int, heldOut bool, prefix string, tops []string) []*User {
		var out []*User
		// Personas are dealt round-robin from a shuffled list so every persona is used.
		order := rng.Perm(len(personas))
		for i := 0; i < n; i++ {
			u := &User{ID: fmt.Sprintf("%s%04d", prefix, i), Persona: personas[order[i%len(order)]], HeldOut: heldOut}
			for k := 0; k < cfg.PairsPerUser; k++ {
				u.Pairs = append(u.Pairs, w.makePair(rng, u.Persona, tops))
			}
			out = append(out, u)
		}
		return out
	}
	w.Train = mk(cfg.TrainUsers, false, "train-", w.TrainTopics)
	w.HeldOut = mk(cfg.HeldOutUsers, true, "heldout-", w.HeldOutTopics)
	return w, nil
}

// RandomPrompt draws a prompt about one of the given topics.
func RandomPrompt(rng *rand.Rand, tops []string) (prompt, topic string) {
	topic = pick(rng, tops)
	return Prompt(rng.IntN(len(promptForms)), topic), topic
}

// Deviate returns a style that differs from p in 1 (prob. 0.5), 2 (0.3) or 3 (0.2) attributes.
func Deviate(rng *rand.Rand, p Persona) Persona {
	k := 1
	if r := rng.Float64(); r >= 0.8 {
		k = 3
	} else if r >= 0.5 {
		k = 2
	}
	q := p
	for _, a := range rng.Perm(NumAttrs)[:k] {
		attr := Attr(a)
		q[attr] = (p[attr] + 1 + rng.IntN(attr.NumValues()-1)) % attr.NumValues()
	}
	return q
}

// RandomPersona draws a persona uniformly.
func RandomPersona(rng *rand.Rand) Persona {
	return Persona{rng.IntN(3), rng.IntN(2), rng.IntN(2)}
}

func (w *World) makePair(rng *rand.Rand, p Persona, tops []string) Pair {
	prompt, topic := RandomPrompt(rng, tops)
	rs := Deviate(rng, p)
	return Pair{
		Prompt:        prompt,
		Topic:         topic,
		Chosen:        Respond(rng, topic, p),
		Rejected:      Respond(rng, topic, rs),
		RejectedStyle: rs,
		Noisy:         rng.Float64() < w.Config.NoiseRate,
	}
}

// AllTopics returns every topic of the world: the training topics, then the held-out ones.
func (w *World) AllTopics() []string {
	return append(append([]string{}, w.TrainTopics...), w.HeldOutTopics...)
}

// Users returns the training or the held-out users.
func (w *World) Users(heldOut bool) []*User {
	if heldOut {
		return w.HeldOut
	}
	return w.Train
}
