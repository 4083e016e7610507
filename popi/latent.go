package popi

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/nn"
)

// The latent-embedding baselines of Table 1 (section 5.1, aligned baselines 3-5, whose
// Avg. Len. the table gives as one special position): each user u gets one vector e_u of
// the generator's hidden size, fed to the generator in place of one special token
// (llama.Injection: a position whose input embedding is e_u, which no text can produce),
// and the generator is fine-tuned jointly
// with the latent parameters under the same preference objective as the other aligned
// methods. The three methods differ in how e_u is built from K shared components and the
// user's weights w_u = softmax(ℓ_u) on the simplex Δ^{K-1}:
//
//   - LoRe (Bose et al. 2025, arXiv 2504.14439): a shared low-rank basis V (K vectors)
//     and per-user weights on the simplex, e_u = Σ_k w_uk V_k. We followed the paper's
//     abstract and summary pages (rewards as weighted combinations of a shared
//     basis, per-user weights in the simplex, new users fitted by learning only their
//     weights with the basis fixed) and the description of the authors' code
//     (facebookresearch/LoRe: softmax user weights; few-shot users optimize w only);
//     the paper's section text itself was not available to us.
//   - PAL-A (Chen et al. 2024, arXiv 2406.08469, PAL's "model A"): the user's ideal
//     point is a convex combination of K prototype points passed through the shared
//     mapping f, e_u = f(Σ_k w_uk p_k), as in the authors' code
//     (RamyaLab/pluralistic-alignment, src/pal_rm_a/userLearner.py, user learner
//     "f(Pw)", their default, with f a residual two-layer ReLU MLP,
//     "mlp2-relu-dropout0-residual"; we use one hidden layer of the hidden size).
//   - PAL-B (PAL's "model B"): the ideal point depends on the prompt x through K
//     prototype maps g_k, e_u(x) = Σ_k w_uk g_k(r(x)), as in
//     src/pal_rm_b/userLearner.py (there g_k are projectors of the foundation model's
//     hidden states of the prompt). Our choices: r(x) is the mean of the frozen base
//     generator's final hidden states over the Base-Model prompt, and g_k(r) = p_k + G_k r
//     is affine.
//
// The PAL section numbers could not be verified (the paper text was not available to
// us); the definitions above follow the authors' public code named above. New users
// (held-out) are fitted as both papers do: only their weights ℓ_u are learned, from
// their few signal pairs, with the generator and the shared components frozen.

// LatentConfig configures the latent-embedding baselines (zero values: the defaults).
type LatentConfig struct {
	// K is the number of shared components (basis vectors or prototypes; 0: 4).
	K int `json:"k,omitempty"`
	// LRScale multiplies Stage2.LR for the latent parameters during joint training
	// (0: 100; the generator keeps Stage2.LR).
	LRScale float64 `json:"lr_scale,omitempty"`
	// FitSteps and FitLR are the held-out users' weight fitting: full-batch AdamW steps
	// on their signal pairs (0: 40 steps, learning rate 0.1).
	FitSteps int     `json:"fit_steps,omitempty"`
	FitLR    float64 `json:"fit_lr,omitempty"`
}

// resolved fills in the defaults.
func (c LatentConfig) resolved() LatentConfig {
	if c.K == 0 {
		c.K = 4
	}
	if c.LRScale == 0 {
		c.LRScale = 100
	}
	if c.FitSteps == 0 {
		c.FitSteps = 40
	}
	if c.FitLR == 0 {
		c.FitLR = 0.1
	}
	return c
}

// Validate reports a configuration error.
func (c LatentConfig) Validate() error {
	r := c.resolved()
	switch {
	case r.K < 1 || r.K > 1024:
		return fmt.Errorf("popi: latent K must be in [1, 1024], got %d", c.K)
	case !(r.LRScale > 0) || math.IsInf(r.LRScale, 0):
		return fmt.Errorf("popi: latent lr_scale must be positive, got %v", c.LRScale)
	case r.FitSteps < 0 || r.FitSteps > 100000:
		return fmt.Errorf("popi: latent fit_steps must be in [0, 100000], got %d", c.FitSteps)
	case !(r.FitLR > 0) || math.IsInf(r.FitLR, 0):
		return fmt.Errorf("popi: latent fit_lr must be positive, got %v", c.FitLR)
	}
	return nil
}

// LatentModel holds one latent method's parameters: per-user weight logits ℓ (one row
// per user, softmax gives w_u) and the shared components.
type LatentModel struct {
	Method Method
	K, H   int
	Users  []string
	index  map[string]int

	W *nn.Value // [users, K] weight logits ℓ
	// P is [K, H]: LoRe's basis V, PAL-A's prototypes, PAL-B's prototype offsets.
	P *nn.Value
	// PAL-A's shared map f(z) = z + F2·relu(F1·z + B1) + B2.
	F1, B1, F2, B2 *nn.Value
	// G is PAL-B's prototype maps [K·H, H]: g_k(r) = p_k + G_k r.
	G *nn.Value
}

// NewLatentModel initializes method m's parameters for users (distinct ids) with
// components of hidden size h; scale is the typical magnitude of an input embedding
// entry (the basis and prototypes start at that scale). Weight logits start N(0, 1),
// as PAL's user weights; PAL-A's f starts as the identity (F2 = 0).
func NewLatentModel(m Method, users []string, k, h int, scale float64, seed uint64) (*LatentModel, error) {
	if !m.Latent() {
		return nil, fmt.Errorf("popi: %v is not a latent-embedding method", m)
	}
	if k < 1 || h < 1 || !(scale > 0) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("popi: latent model needs K, H > 0 and a positive scale (got %d, %d, %v)", k, h, scale)
	}
	rng := rand.New(rand.NewPCG(seed, 0x1a7e47))
	normal := func(n int, std float64) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(rng.NormFloat64() * std)
		}
		return out
	}
	lm := &LatentModel{Method: m, K: k, H: h}
	lm.P = nn.NewParam(normal(k*h, scale), k, h)
	switch m {
	case MethodPALA:
		lm.F1 = nn.NewParam(normal(h*h, 1/math.Sqrt(float64(h))), h, h)
		lm.B1 = nn.NewParam(make([]float32, h), h)
		lm.F2 = nn.NewParam(make([]float32, h*h), h, h)
		lm.B2 = nn.NewParam(make([]float32, h), h)
	case MethodPALB:
		lm.G = nn.NewParam(normal(k*h*h, scale/math.Sqrt(float64(h))), k*h, h)
	}
	if err := lm.setUsers(users, normal(len(users)*k, 1)); err != nil {
		return nil, err
	}
	return lm, nil
}

func (lm *LatentModel) setUsers(users []string, logits []float32) error {
	if len(users) == 0 {
		return errors.New("popi: latent model without users")
	}
	idx := make(map[string]int, len(users))
	for i, u := range users {
		if _, dup := idx[u]; dup {
			return fmt.Errorf("popi: latent model: user %q given twice", u)
		}
		idx[u] = i
	}
	if len(logits) != len(users)*lm.K {
		return fmt.Errorf("popi: latent model: %d weight logits for %d users of %d components", len(logits), len(users), lm.K)
	}
	lm.Users, lm.index = slices.Clone(users), idx
	lm.W = nn.NewParam(logits, len(users), lm.K)
	return nil
}

// User returns a user's row.
func (lm *LatentModel) User(id string) (int, bool) {
	i, ok := lm.index[id]
	return i, ok
}

// Shared lists the shared (population) parameters.
func (lm *LatentModel) Shared() []*nn.Value {
	var out []*nn.Value
	for _, v := range []*nn.Value{lm.P, lm.F1, lm.B1, lm.F2, lm.B2, lm.G} {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// Params lists every trainable parameter (user logits first).
func (lm *LatentModel) Params() []*nn.Value {
	var out []*nn.Value
	for _, v := range append([]*nn.Value{lm.W}, lm.Shared()...) {
		if v.RequiresGrad {
			out = append(out, v)
		}
	}
	return out
}

// NeedsPromptReps reports whether Embeddings needs prompt representations (PAL-B).
func (lm *LatentModel) NeedsPromptReps() bool { return lm.Method == MethodPALB }

// Weights returns w_u = softmax(ℓ_u).
func (lm *LatentModel) Weights(user int) []float64 {
	row := lm.W.Data[user*lm.K : (user+1)*lm.K]
	mx := math.Inf(-1)
	for _, v := range row {
		mx = max(mx, float64(v))
	}
	out := make([]float64, lm.K)
	s := 0.0
	for i, v := range row {
		out[i] = math.Exp(float64(v) - mx)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// Embeddings returns the differentiable embeddings [len(users), H] of the given user rows;
// PAL-B also takes each row's prompt representation (reps[i], H values).
func (lm *LatentModel) Embeddings(users []int, reps [][]float32) (*nn.Value, error) {
	n := len(users)
	if n == 0 {
		return nil, errors.New("popi: latent embeddings of no users")
	}
	for _, u := range users {
		if u < 0 || u >= len(lm.Users) {
			return nil, fmt.Errorf("popi: latent user row %d outside [0, %d)", u, len(lm.Users))
		}
	}
	w := nn.Softmax(nn.Embedding(lm.W, users)) // [n, K]
	switch lm.Method {
	case MethodLoRe:
		return nn.MatMul(w, lm.P, false, false), nil
	case MethodPALA:
		z := nn.MatMul(w, lm.P, false, false)
		h := nn.Clamp(nn.Add(nn.Linear(z, lm.F1), lm.B1), 0, math.MaxFloat32)
		return nn.Add(z, nn.Add(nn.Linear(h, lm.F2), lm.B2)), nil
	case MethodPALB:
		if len(reps) != n {
			return nil, fmt.Errorf("popi: PAL-B needs a prompt representation per row (%d for %d)", len(reps), n)
		}
		flat := make([]float32, 0, n*lm.H)
		for i, r := range reps {
			if len(r) != lm.H {
				return nil, fmt.Errorf("popi: PAL-B prompt representation %d has %d values, want %d", i, len(r), lm.H)
			}
			flat = append(flat, r...)
		}
		y := nn.Reshape(nn.Linear(nn.FromSlice(flat, n, lm.H), lm.G), n, lm.K, lm.H) // G_k r
		z := nn.Add(y, lm.P)                                                         // p_k + G_k r
		e := nn.MatMul(nn.Reshape(w, n, 1, lm.K), z, false, false)                   // Σ_k w_k (...)
		return nn.Reshape(e, n, lm.H), nil
	}
	return nil, fmt.Errorf("popi: %v is not a latent-embedding method", lm.Method)
}

// ForNewUsers returns a model for other users (held-out) that shares this one's
// components as frozen constants (same storage) with fresh weight logits (N(0, 1) from
// seed), so fitting it moves only the new users' weights.
func (lm *LatentModel) ForNewUsers(users []string, seed uint64) (*LatentModel, error) {
	c := &LatentModel{Method: lm.Method, K: lm.K, H: lm.H}
	frozen := func(v *nn.Value) *nn.Value {
		if v == nil {
			return nil
		}
		return nn.FromSlice(v.Data, v.Shape...)
	}
	c.P, c.F1, c.B1, c.F2, c.B2, c.G = frozen(lm.P), frozen(lm.F1), frozen(lm.B1), frozen(lm.F2), frozen(lm.B2), frozen(lm.G)
	rng := rand.New(rand.NewPCG(seed, 0x4e3d))
	logits := make([]float32, len(users)*lm.K)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64())
	}
	if err := c.setUsers(users, logits); err != nil {
		return nil, err
	}
	return c, nil
}

// latentFile is the saved form of a LatentModel (latent.json).
type latentFile struct {
	Method string      `json:"method"`
	K      int         `json:"k"`
	H      int         `json:"hidden"`
	Users  []string    `json:"users"`
	Params []latentArr `json:"params"`
}

type latentArr struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

func (lm *LatentModel) named() []struct {
	name string
	v    **nn.Value
} {
	return []struct {
		name string
		v    **nn.Value
	}{{"weight_logits", &lm.W}, {"components", &lm.P}, {"f1", &lm.F1}, {"b1", &lm.B1}, {"f2", &lm.F2}, {"b2", &lm.B2}, {"prompt_maps", &lm.G}}
}

// Save writes the model to path atomically (JSON; float32 values round-trip exactly).
func (lm *LatentModel) Save(path string) error {
	f := latentFile{Method: lm.Method.String(), K: lm.K, H: lm.H, Users: lm.Users}
	for _, p := range lm.named() {
		if v := *p.v; v != nil {
			for _, x := range v.Data {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return fmt.Errorf("popi: latent %s of %v has a non-finite value", p.name, lm.Method)
				}
			}
			f.Params = append(f.Params, latentArr{Name: p.name, Shape: slices.Clone(v.Shape), Data: v.Data})
		}
	}
	return atomicfile.WriteJSON(path, f, fileMode)
}

// LoadLatentModel reads a model written by Save, checking its shapes.
func LoadLatentModel(path string) (*LatentModel, error) {
	var f latentFile
	if err := ReadJSON(path, &f); err != nil {
		return nil, err
	}
	m, err := ParseMethod(f.Method)
	if err != nil || !m.Latent() {
		return nil, fmt.Errorf("popi: %s: %q is not a latent-embedding method", path, f.Method)
	}
	if f.K < 1 || f.K > 1024 || f.H < 1 || f.H > 1<<16 {
		return nil, fmt.Errorf("popi: %s: bad sizes K=%d H=%d (want K in [1, 1024], H in [1, 65536])", path, f.K, f.H)
	}
	lm := &LatentModel{Method: m, K: f.K, H: f.H}
	want := map[string][]int{"weight_logits": {len(f.Users), f.K}, "components": {f.K, f.H}}
	switch m {
	case MethodPALA:
		want["f1"], want["b1"], want["f2"], want["b2"] = []int{f.H, f.H}, []int{f.H}, []int{f.H, f.H}, []int{f.H}
	case MethodPALB:
		want["prompt_maps"] = []int{f.K * f.H, f.H}
	}
	got := map[string]latentArr{}
	for _, a := range f.Params {
		if _, dup := got[a.Name]; dup {
			return nil, fmt.Errorf("popi: %s: parameter %s given twice", path, a.Name)
		}
		got[a.Name] = a
	}
	if len(got) != len(want) {
		return nil, fmt.Errorf("popi: %s: %d parameters, %v has %d", path, len(got), m, len(want))
	}
	var logits []float32
	for _, p := range lm.named() {
		shape, ok := want[p.name]
		if !ok {
			continue
		}
		a, ok := got[p.name]
		if !ok {
			return nil, fmt.Errorf("popi: %s: parameter %s missing", path, p.name)
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if !slices.Equal(a.Shape, shape) || len(a.Data) != n {
			return nil, fmt.Errorf("popi: %s: parameter %s has shape %v and %d values, want %v", path, p.name, a.Shape, len(a.Data), shape)
		}
		for _, x := range a.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("popi: %s: parameter %s has a non-finite value", path, p.name)
			}
		}
		if p.name == "weight_logits" {
			logits = a.Data
			continue
		}
		*p.v = nn.NewParam(a.Data, shape...)
	}
	if err := lm.setUsers(f.Users, logits); err != nil {
		return nil, fmt.Errorf("popi: %s: %w", path, err)
	}
	return lm, nil
}

// copyFrom copies src's parameter values into lm's storage (same method and shapes), so
// an optimizer over lm's parameters stays valid (checkpoint resume).
func (lm *LatentModel) copyFrom(src *LatentModel) error {
	if src.Method != lm.Method || src.K != lm.K || src.H != lm.H || !slices.Equal(src.Users, lm.Users) {
		return fmt.Errorf("popi: latent checkpoint is for %v (K=%d, H=%d, %d users), not %v (K=%d, H=%d, %d users)",
			src.Method, src.K, src.H, len(src.Users), lm.Method, lm.K, lm.H, len(lm.Users))
	}
	dst, s := lm.named(), src.named()
	for i := range dst {
		d, v := *dst[i].v, *s[i].v
		if (d == nil) != (v == nil) || (d != nil && len(d.Data) != len(v.Data)) {
			return fmt.Errorf("popi: latent checkpoint: parameter %s differs in shape", dst[i].name)
		}
		if d != nil {
			copy(d.Data, v.Data)
		}
	}
	return nil
}
