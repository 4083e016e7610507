package llama

import (
	"fmt"
	"slices"

	"github.com/popi-go/popi/kernels"
)

// GenerateOptions controls Generate, GenerateN and GenerateBatch.
type GenerateOptions struct {
	SampleOptions
	// MaxTokens caps the number of generated tokens (> 0).
	MaxTokens int
	// Seed seeds the sampler; completion i draws from stream i, so its
	// tokens do not depend on how many completions run alongside.
	Seed uint64
	// StopTokens end a completion when generated; nil means the config's
	// eos ids. A non-nil empty slice disables stopping on tokens.
	StopTokens []int
	// Stream, if set, receives every generated token of completion i as it
	// is chosen; returning false ends that completion.
	Stream func(i, token int) bool
	// StepLogits, if set, sees the logit row each token of completion i
	// was drawn from (valid only during the call).
	StepLogits func(i int, logits []float32)
}

// FinishReason says why a completion ended.
type FinishReason int

// Finish reasons.
const (
	FinishStop     FinishReason = iota // a stop token was generated (it is the last token)
	FinishLength                       // MaxTokens reached
	FinishContext                      // max_position_embeddings reached
	FinishCallback                     // Stream returned false
)

func (f FinishReason) String() string {
	switch f {
	case FinishStop:
		return "stop"
	case FinishLength:
		return "length"
	case FinishContext:
		return "context"
	case FinishCallback:
		return "callback"
	}
	return fmt.Sprintf("FinishReason(%d)", int(f))
}

// Completion is one generated continuation.
type Completion struct {
	// Tokens are the generated ids; with FinishStop the stop token is the
	// last one.
	Tokens []int
	Finish FinishReason
}

// genState is one completion being decoded.
type genState struct {
	cache   *KVCache
	sampler *Sampler
	out     []int
	tok     [1]int
	done    bool
	finish  FinishReason
}

func (r *Runner) checkGenerate(prompt []int, opts *GenerateOptions) error {
	if len(prompt) == 0 {
		return fmt.Errorf("llama: generate: empty prompt")
	}
	if opts.MaxTokens <= 0 {
		return fmt.Errorf("llama: generate: MaxTokens must be positive, got %d", opts.MaxTokens)
	}
	if err := opts.SampleOptions.Validate(); err != nil {
		return err
	}
	for _, t := range opts.StopTokens {
		if t < 0 || t >= r.m.dims.vocab {
			return fmt.Errorf("llama: generate: stop token %d outside the vocabulary", t)
		}
	}
	return nil
}

// maxInitialGen bounds the room for generated tokens allocated up front (KV cache rows
// and the output slice); past it they grow on demand, up to the model's context. So a
// huge MaxTokens costs memory only for the tokens actually generated (issue 16: a
// -max-tokens of 1e9 preallocated the whole cache, 9e18 made makeslice panic).
const maxInitialGen = 1024

func initialGen(maxTokens int) int { return min(maxTokens, maxInitialGen) }

// Generate continues prompt with one completion.
func (r *Runner) Generate(prompt []int, opts GenerateOptions) (Completion, error) {
	cs, err := r.GenerateN(prompt, 1, opts)
	if err != nil {
		return Completion{}, err
	}
	return cs[0], nil
}

// GenerateN draws n completions of one prompt. The prompt is prefilled
// once; each completion decodes from its own copy of that KV prefix, and
// all unfinished completions advance together as one batch per step.
func (r *Runner) GenerateN(prompt []int, n int, opts GenerateOptions) ([]Completion, error) {
	if n <= 0 {
		return nil, fmt.Errorf("llama: generate: %d completions requested", n)
	}
	if err := r.checkGenerate(prompt, &opts); err != nil {
		return nil, err
	}
	base := r.m.NewKVCache(len(prompt) + initialGen(opts.MaxTokens))
	b := []Seq{{Cache: base, Tokens: prompt}}
	if err := r.Forward(b); err != nil {
		return nil, err
	}
	first := append([]float32(nil), b[0].Logits...)
	states := make([]*genState, n)
	for i := range states {
		c := base
		if i < n-1 {
			c = base.Clone(initialGen(opts.MaxTokens))
		}
		states[i] = &genState{cache: c, sampler: NewSampler(opts.SampleOptions, opts.Seed, uint64(i))}
	}
	firsts := make([][]float32, n)
	for i := range firsts {
		firsts[i] = first
	}
	return r.decode(states, firsts, opts)
}

// GenerateBatch draws one completion for each prompt, prefilling all
// prompts in one batched pass and decoding them together. Completion i
// uses sampler stream i.
func (r *Runner) GenerateBatch(prompts [][]int, opts GenerateOptions) ([]Completion, error) {
	return r.generateBatch(prompts, nil, opts)
}

// generateBatch is GenerateBatch with prompt i's input embeddings overridden by inj[i]
// (inj nil: none).
func (r *Runner) generateBatch(prompts [][]int, inj [][]Injection, opts GenerateOptions) ([]Completion, error) {
	if len(prompts) == 0 {
		return nil, nil
	}
	for i, p := range prompts {
		if err := r.checkGenerate(p, &opts); err != nil {
			return nil, fmt.Errorf("prompt %d: %w", i, err)
		}
	}
	states := make([]*genState, len(prompts))
	b := make([]Seq, len(prompts))
	for i, p := range prompts {
		states[i] = &genState{cache: r.m.NewKVCache(len(p) + initialGen(opts.MaxTokens)), sampler: NewSampler(opts.SampleOptions, opts.Seed, uint64(i))}
		b[i] = Seq{Cache: states[i].cache, Tokens: p}
		if inj != nil {
			b[i].Inject = inj[i]
		}
	}
	if err := r.Forward(b); err != nil {
		return nil, err
	}
	firsts := make([][]float32, len(prompts))
	for i := range b {
		firsts[i] = append([]float32(nil), b[i].Logits...)
	}
	return r.decode(states, firsts, opts)
}

// GenerateGroups draws n completions for each prompt: all prompts are
// prefilled in one batched pass, each prompt's KV prefix is copied to its n
// completions, and all len(prompts)*n completions decode together as one
// batch (one matrix multiplication per weight and step for all of them).
// Result [p][g] uses sampler stream p*n+g, so GenerateGroups of one prompt
// equals GenerateN. Stream and StepLogits receive the flat index p*n+g.
func (r *Runner) GenerateGroups(prompts [][]int, n int, opts GenerateOptions) ([][]Completion, error) {
	if n <= 0 {
		return nil, fmt.Errorf("llama: generate: %d completions requested", n)
	}
	if len(prompts) == 0 {
		return nil, nil
	}
	for i, p := range prompts {
		if err := r.checkGenerate(p, &opts); err != nil {
			return nil, fmt.Errorf("prompt %d: %w", i, err)
		}
	}
	b := make([]Seq, len(prompts))
	for i, p := range prompts {
		b[i] = Seq{Cache: r.m.NewKVCache(len(p) + initialGen(opts.MaxTokens)), Tokens: p}
	}
	if err := r.Forward(b); err != nil {
		return nil, err
	}
	states := make([]*genState, 0, len(prompts)*n)
	firsts := make([][]float32, 0, len(prompts)*n)
	for i := range prompts {
		first := append([]float32(nil), b[i].Logits...)
		for g := 0; g < n; g++ {
			c := b[i].Cache
			if g < n-1 {
				c = c.Clone(initialGen(opts.MaxTokens))
			}
			k := uint64(i*n + g)
			states = append(states, &genState{cache: c, sampler: NewSampler(opts.SampleOptions, opts.Seed, k)})
			firsts = append(firsts, first)
		}
	}
	flat, err := r.decode(states, firsts, opts)
	if err != nil {
		return nil, err
	}
	out := make([][]Completion, len(prompts))
	for i := range out {
		out[i] = flat[i*n : (i+1)*n]
	}
	return out, nil
}

// decode samples from each state's current logits and feeds the sampled
// tokens back, batched, until every state is done.
func (r *Runner) decode(states []*genState, logits [][]float32, opts GenerateOptions) ([]Completion, error) {
	stop := opts.StopTokens
	if stop == nil {
		stop = r.m.Config.EOS
	}
	batch := make([]Seq, 0, len(states))
	active := make([]*genState, 0, len(states))
	for _, s := range states {
		s.out = make([]int, 0, initialGen(opts.MaxTokens))
	}
	// The unfinished states of a step sample in parallel (a draw reads the
	// whole vocabulary row); each has its own sampler, so the draws do not
	// depend on the split. The samplers share one set of buffers per
	// concurrent chunk instead of holding ~8 bytes per vocabulary entry
	// each. Callbacks still run in order on this goroutine.
	pending := make([]int, 0, len(states))
	drawn := make([]int, len(states))
	var scratch scratchPool
	sampleFn := func(lo, hi int) {
		sc := scratch.get()
		for _, i := range pending[lo:hi] {
			drawn[i] = states[i].sampler.sampleWith(logits[i], sc)
		}
		scratch.put(sc)
	}
	for {
		batch, active, pending = batch[:0], active[:0], pending[:0]
		for i, s := range states {
			if s.done {
				continue
			}
			if opts.StepLogits != nil {
				opts.StepLogits(i, logits[i])
			}
			pending = append(pending, i)
		}
		kernels.ParallelFor(len(pending), 1, sampleFn)
		for i, s := range states {
			if s.done {
				continue
			}
			t := drawn[i]
			s.out = append(s.out, t)
			switch {
			case slices.Contains(stop, t):
				s.done, s.finish = true, FinishStop
			case len(s.out) >= opts.MaxTokens:
				s.done, s.finish = true, FinishLength
			case r.m.dims.maxPos > 0 && s.cache.Len() >= r.m.dims.maxPos:
				s.done, s.finish = true, FinishContext
			}
			if opts.Stream != nil && !opts.Stream(i, t) && !s.done {
				s.done, s.finish = true, FinishCallback
			}
			if !s.done {
				s.tok[0] = t
				batch = append(batch, Seq{Cache: s.cache, Tokens: s.tok[:]})
				active = append(active, s)
			}
		}
		if len(batch) == 0 {
			break
		}
		if err := r.Forward(batch); err != nil {
			return nil, err
		}
		k := 0
		for i, s := range states {
			if k < len(active) && active[k] == s {
				logits[i] = batch[k].Logits
				k++
			}
		}
	}
	out := make([]Completion, len(states))
	for i, s := range states {
		out[i] = Completion{Tokens: s.out, Finish: s.finish}
	}
	return out, nil
}

// Generate is Runner.Generate on a fresh Runner.
func (m *Model) Generate(prompt []int, opts GenerateOptions) (Completion, error) {
	return m.NewRunner().Generate(prompt, opts)
}

// GenerateN is Runner.GenerateN on a fresh Runner.
func (m *Model) GenerateN(prompt []int, n int, opts GenerateOptions) ([]Completion, error) {
	return m.NewRunner().GenerateN(prompt, n, opts)
}
