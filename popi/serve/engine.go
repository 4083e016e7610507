package serve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popi-go/popi/llama"
)

// EngineOptions bounds the work of an Engine.
type EngineOptions struct {
	// MaxBatch is the number of sequences decoding together (default 32). A request with
	// n choices holds n of them.
	MaxBatch int
	// QueueSize is the number of requests waiting for a place in the batch (default 64);
	// Submit refuses more with ErrQueueFull.
	QueueSize int
	// PrefillChunk is the number of prompt tokens of one sequence fed per step (default
	// 512), so a long prompt delays the decode steps of the others by bounded amounts.
	// Prompts that need every position's log-probs use chunks of at most LogitBudget /
	// vocabulary rows.
	PrefillChunk int
	// LogitBudget bounds the logits (rows x vocabulary) one step computes for prompt
	// log-probs (default 32M floats, 128 MB).
	LogitBudget int
}

func (o *EngineOptions) defaults() {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 32
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 64
	}
	if o.PrefillChunk <= 0 {
		o.PrefillChunk = 512
	}
	if o.LogitBudget <= 0 {
		o.LogitBudget = 32 << 20
	}
}

// ErrQueueFull is Submit's answer when the queue holds QueueSize requests.
var ErrQueueFull = errors.New("serve: request queue is full")

// ErrClosed is the error of requests the engine can no longer run.
var ErrClosed = errors.New("serve: engine closed")

// Job is one generation request: n completions of one prompt. Fill the exported fields
// and pass it to Engine.Submit; then read its events with Next.
type Job struct {
	Prompt []int
	// N is the number of completions (>= 1); completion i draws from sampler stream i of
	// Seed, so its tokens do not depend on which requests run alongside.
	N      int
	Sample llama.SampleOptions
	Seed   uint64
	// MaxTokens caps each completion; 0 is allowed with PromptLogprobs (score the prompt
	// only).
	MaxTokens int
	// StopTokens end a completion (the stop token is reported, then the completion ends).
	StopTokens []int
	// PromptLogprobs asks for log p(prompt[j] | prompt[:j]) for j >= 1.
	PromptLogprobs bool
	// Logprobs asks for the log-prob of every generated token.
	Logprobs bool
	// TopLogprobs asks for that many most likely alternatives per position (with
	// PromptLogprobs or Logprobs).
	TopLogprobs int

	ctx      context.Context
	stops    []atomic.Bool
	running  int // completions not yet ended (engine goroutine only)
	mu       sync.Mutex
	events   []Event
	prompt   *PromptLogprobs
	finished bool
	err      error
	notify   chan struct{}
	enqueued time.Time
}

// TokenLogprob is a token and its log-probability.
type TokenLogprob struct {
	Token   int
	Logprob float64
}

// PromptLogprobs are the log-probs of a prompt's tokens: Logprobs[0] is NaN (the first
// token has no context); Top[j] the most likely alternatives at position j (Top[0] nil).
type PromptLogprobs struct {
	Logprobs []float64
	Top      [][]TokenLogprob
}

// Event is one generated token of completion Choice, or the end of that completion
// (Finish non-empty: "stop", "length"; Token is then -1 when no token comes with it).
type Event struct {
	Choice  int
	Token   int
	Logprob float64
	Top     []TokenLogprob
	Finish  string
}

// StopChoice ends completion i after the current step (a stop string was seen); its
// finish reason is "stop".
func (j *Job) StopChoice(i int) {
	if i >= 0 && i < len(j.stops) {
		j.stops[i].Store(true)
	}
}

// Next waits for events and returns them. At the end it returns the remaining events with
// done true; err is the reason a job failed (its context ended, the engine failed).
func (j *Job) Next(ctx context.Context) (evs []Event, done bool, err error) {
	for {
		j.mu.Lock()
		evs, j.events = j.events, nil
		done, err = j.finished, j.err
		j.mu.Unlock()
		if len(evs) > 0 || done {
			return evs, done, err
		}
		select {
		case <-j.notify:
		case <-ctx.Done():
			return nil, true, ctx.Err()
		}
	}
}

// PromptResult returns the prompt log-probs once computed (nil before, or when not requested).
func (j *Job) PromptResult() *PromptLogprobs {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.prompt
}

func (j *Job) wake() {
	select {
	case j.notify <- struct{}{}:
	default:
	}
}

func (j *Job) emit(e Event) {
	j.mu.Lock()
	j.events = append(j.events, e)
	j.mu.Unlock()
	j.wake()
}

func (j *Job) finish(err error) {
	j.mu.Lock()
	if !j.finished {
		j.finished, j.err = true, err
	}
	j.mu.Unlock()
	j.wake()
}

// seqState is one completion being computed.
type seqState struct {
	job     *Job
	choice  int
	cache   *llama.KVCache
	sampler *llama.Sampler
	fed     int // prompt tokens fed so far (prefill)
	gen     int // generated tokens
	tok     [1]int
	done    bool
	plp     *PromptLogprobs // being filled during prefill
}

func (s *seqState) prefilling() bool { return s.fed < len(s.job.Prompt) }

// Engine runs Jobs with continuous batching on one model. It is safe for concurrent use.
type Engine struct {
	m      *llama.Model
	r      *llama.Runner
	opts   EngineOptions
	queue  chan *Job
	quit   chan struct{}
	doneCh chan struct{}
	closed sync.Once

	stats engineStats
}

// engineStats are the counters /metrics exports.
type engineStats struct {
	steps, genTokens, promptTokens, batchRows atomic.Int64
	active, held                              atomic.Int64
	lastBatch                                 atomic.Int64
	tokPerSec                                 atomic.Uint64 // float64 bits, smoothed
	failures                                  atomic.Int64
}

// NewEngine starts an engine on m (the model is shared read-only; the engine owns its
// Runner). Close stops it.
func NewEngine(m *llama.Model, opts EngineOptions) *Engine {
	opts.defaults()
	e := &Engine{m: m, r: m.NewRunner(), opts: opts, queue: make(chan *Job, opts.QueueSize),
		quit: make(chan struct{}), doneCh: make(chan struct{})}
	go e.loop()
	return e
}

// Model returns the engine's model.
func (e *Engine) Model() *llama.Model { return e.m }

// Options returns the engine's options with defaults filled in.
func (e *Engine) Options() EngineOptions { return e.opts }

// Close stops the engine after the current step; running and queued jobs fail with
// ErrClosed.
func (e *Engine) Close() {
	e.closed.Do(func() { close(e.quit) })
	<-e.doneCh
}

// QueueDepth is the number of submitted jobs not yet decoding.
func (e *Engine) QueueDepth() int { return len(e.queue) + int(e.stats.held.Load()) }

func (e *Engine) check(j *Job) error {
	d := e.m.Config
	if len(j.Prompt) == 0 {
		return errors.New("empty prompt")
	}
	for i, t := range j.Prompt {
		if t < 0 || t >= d.Vocab {
			return fmt.Errorf("prompt token %d: id %d outside the vocabulary [0,%d)", i, t, d.Vocab)
		}
	}
	if j.N < 1 || j.N > e.opts.MaxBatch {
		return fmt.Errorf("n must be between 1 and %d, got %d", e.opts.MaxBatch, j.N)
	}
	if j.MaxTokens < 0 || (j.MaxTokens == 0 && !j.PromptLogprobs) {
		return fmt.Errorf("max_tokens must be positive, got %d", j.MaxTokens)
	}
	if d.MaxPositions > 0 && j.MaxTokens > d.MaxPositions-len(j.Prompt) {
		return fmt.Errorf("this model's maximum context length is %d tokens; the prompt has %d and max_tokens asks for %d more",
			d.MaxPositions, len(j.Prompt), j.MaxTokens)
	}
	if j.TopLogprobs < 0 || j.TopLogprobs > MaxTopLogprobs {
		return fmt.Errorf("top log-probs must be between 0 and %d, got %d", MaxTopLogprobs, j.TopLogprobs)
	}
	if err := j.Sample.Validate(); err != nil {
		return err
	}
	for _, t := range j.StopTokens {
		if t < 0 || t >= d.Vocab {
			return fmt.Errorf("stop token %d outside the vocabulary", t)
		}
	}
	return nil
}

// Submit validates j and queues it; ctx ends the job (client gone, timeout). Errors are
// the caller's (a bad job) or ErrQueueFull / ErrClosed.
func (e *Engine) Submit(ctx context.Context, j *Job) error { return e.submit(ctx, j, false) }

// SubmitWait is Submit that waits for room in the queue instead of failing with
// ErrQueueFull (until ctx ends). A request with several prompts queues its first with
// Submit and the others with SubmitWait, so it is refused only when the server is busy.
func (e *Engine) SubmitWait(ctx context.Context, j *Job) error { return e.submit(ctx, j, true) }

func (e *Engine) submit(ctx context.Context, j *Job, wait bool) error {
	if err := e.check(j); err != nil {
		return err
	}
	j.ctx = ctx
	j.stops = make([]atomic.Bool, j.N)
	j.notify = make(chan struct{}, 1)
	j.enqueued = time.Now()
	select {
	case <-e.quit:
		return ErrClosed
	default:
	}
	if wait {
		select {
		case e.queue <- j:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-e.quit:
			return ErrClosed
		}
	}
	if e.QueueDepth() >= e.opts.QueueSize {
		return ErrQueueFull
	}
	select {
	case e.queue <- j:
		return nil
	default:
		return ErrQueueFull
	}
}

// maxInitialGen bounds the KV rows reserved up front for generated tokens (the cache
// grows on demand beyond it), so a huge max_tokens costs only what is generated.
const maxInitialGen = 256

func (e *Engine) admit(j *Job) *seqState {
	s := &seqState{job: j, cache: e.m.NewKVCache(len(j.Prompt) + min(j.MaxTokens, maxInitialGen))}
	s.sampler = llama.NewSampler(j.Sample, j.Seed, 0)
	j.running = j.N
	if j.PromptLogprobs {
		s.plp = &PromptLogprobs{Logprobs: make([]float64, len(j.Prompt))}
		s.plp.Logprobs[0] = math.NaN()
		if j.TopLogprobs > 0 {
			s.plp.Top = make([][]TokenLogprob, len(j.Prompt))
		}
	}
	e.stats.promptTokens.Add(int64(len(j.Prompt)))
	return s
}

func (e *Engine) loop() {
	defer close(e.doneCh)
	var active []*seqState
	var held *Job
	batch := make([]llama.Seq, 0, e.opts.MaxBatch)
	owners := make([]*seqState, 0, e.opts.MaxBatch)
	fail := func(err error) {
		for _, s := range active {
			s.job.finish(err)
		}
		active = active[:0]
	}
	for {
		// Admit waiting jobs while there is room (block when idle).
		for {
			if held == nil {
				if len(active) == 0 {
					select {
					case held = <-e.queue:
					case <-e.quit:
						fail(ErrClosed)
						e.drain(ErrClosed)
						return
					}
				} else {
					select {
					case held = <-e.queue:
					default:
					}
				}
				if held != nil {
					e.stats.held.Store(1)
				}
			}
			if held == nil || slots(active)+held.N > e.opts.MaxBatch {
				break
			}
			if held.ctx.Err() == nil {
				active = append(active, e.admit(held))
			} else {
				held.finish(held.ctx.Err())
			}
			held = nil
			e.stats.held.Store(0)
		}
		select {
		case <-e.quit:
			fail(ErrClosed)
			if held != nil {
				held.finish(ErrClosed)
			}
			e.drain(ErrClosed)
			return
		default:
		}
		// Drop finished, stopped and abandoned sequences.
		active = slices.DeleteFunc(active, func(s *seqState) bool {
			if err := s.job.ctx.Err(); err != nil {
				s.job.finish(err)
				return true
			}
			if !s.done && !s.prefilling() && s.job.stops[s.choice].Load() {
				s.done = true
				s.job.emit(Event{Choice: s.choice, Token: -1, Finish: "stop"})
				e.release(s)
			}
			return s.done
		})
		e.stats.active.Store(int64(len(active)))
		if len(active) == 0 {
			continue
		}
		batch, owners = batch[:0], owners[:0]
		rows := 0
		for _, s := range active {
			seq := llama.Seq{Cache: s.cache}
			if s.prefilling() {
				chunk := e.opts.PrefillChunk
				if s.plp != nil {
					chunk = max(1, min(chunk, e.opts.LogitBudget/e.m.Config.Vocab))
				}
				end := min(s.fed+chunk, len(s.job.Prompt))
				seq.Tokens = s.job.Prompt[s.fed:end]
				seq.AllLogits = s.plp != nil
			} else {
				seq.Tokens = s.tok[:]
			}
			rows += len(seq.Tokens)
			batch = append(batch, seq)
			owners = append(owners, s)
		}
		start := time.Now()
		if err := e.forward(batch); err != nil {
			e.stats.failures.Add(1)
			fail(fmt.Errorf("serve: forward pass: %w", err))
			continue
		}
		gen := 0
		var joined []*seqState
		for i, s := range owners {
			lg := batch[i].Logits
			if s.prefilling() {
				n := len(batch[i].Tokens)
				if s.plp != nil {
					e.promptLogprobs(s, lg, n)
					lg = lg[(n-1)*e.m.Config.Vocab:]
				}
				s.fed += n
				if s.prefilling() {
					continue
				}
				if s.job.MaxTokens > 0 {
					gen += s.job.N
				}
				joined = append(joined, e.prefilled(s, lg)...)
				continue
			}
			e.next(s, lg)
			gen++
		}
		active = append(active, joined...)
		e.stats.steps.Add(1)
		e.stats.batchRows.Add(int64(rows))
		e.stats.lastBatch.Store(int64(len(batch)))
		e.stats.genTokens.Add(int64(gen))
		if dt := time.Since(start).Seconds(); dt > 0 && gen > 0 {
			old := math.Float64frombits(e.stats.tokPerSec.Load())
			e.stats.tokPerSec.Store(math.Float64bits(0.9*old + 0.1*float64(gen)/dt))
		}
	}
}

// forward runs one batched pass, turning a panic (a bug) into an error so the server
// survives it.
func (e *Engine) forward(batch []llama.Seq) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return e.r.Forward(batch)
}

func (e *Engine) drain(err error) {
	for {
		select {
		case j := <-e.queue:
			j.finish(err)
		default:
			return
		}
	}
}

// prefilled finishes a prompt: publishes its log-probs, makes the sibling completions
// (copies of the prompt's KV cache) and draws every completion's first token from the
// last prompt row. It returns the siblings, which join the batch.
func (e *Engine) prefilled(s *seqState, last []float32) []*seqState {
	j := s.job
	if s.plp != nil {
		j.mu.Lock()
		j.prompt = s.plp
		j.mu.Unlock()
		s.plp = nil
	}
	if j.MaxTokens == 0 {
		for c := 0; c < j.N; c++ {
			j.emit(Event{Choice: c, Token: -1, Finish: "length"})
		}
		s.done = true
		j.finish(nil)
		return nil
	}
	var sibs []*seqState
	for c := 1; c < j.N; c++ {
		sibs = append(sibs, &seqState{job: j, choice: c, fed: s.fed,
			cache:   s.cache.Clone(min(j.MaxTokens, maxInitialGen)),
			sampler: llama.NewSampler(j.Sample, j.Seed, uint64(c))})
	}
	e.next(s, last)
	for _, b := range sibs {
		e.next(b, last)
	}
	return sibs
}

// next draws the next token of s from its logit row and reports it.
func (e *Engine) next(s *seqState, logits []float32) {
	j := s.job
	t := s.sampler.Sample(logits)
	ev := Event{Choice: s.choice, Token: t}
	if j.Logprobs {
		lse := logSumExp(logits)
		ev.Logprob = float64(logits[t]) - lse
		if j.TopLogprobs > 0 {
			ev.Top = topLogprobs(logits, j.TopLogprobs, lse)
		}
	}
	s.gen++
	s.tok[0] = t
	maxPos := e.m.Config.MaxPositions
	switch {
	case slices.Contains(j.StopTokens, t):
		ev.Finish = "stop"
	case s.gen >= j.MaxTokens, maxPos > 0 && s.cache.Len() >= maxPos:
		ev.Finish = "length"
	}
	j.emit(ev)
	if ev.Finish != "" {
		s.done = true
		e.release(s)
	}
}

// release ends a completion; the job finishes with its last completion.
func (e *Engine) release(s *seqState) {
	s.cache = nil
	j := s.job
	j.running--
	if j.running == 0 {
		j.finish(nil)
	}
}

// promptLogprobs records the log-probs of the prompt tokens that n logit rows (positions
// s.fed..s.fed+n-1) predict.
func (e *Engine) promptLogprobs(s *seqState, logits []float32, n int) {
	V := e.m.Config.Vocab
	p := s.job.Prompt
	for r := 0; r < n; r++ {
		pos := s.fed + r + 1 // the token row r predicts
		if pos >= len(p) {
			break
		}
		row := logits[r*V : (r+1)*V]
		lse := logSumExp(row)
		s.plp.Logprobs[pos] = float64(row[p[pos]]) - lse
		if s.plp.Top != nil {
			s.plp.Top[pos] = topLogprobs(row, s.job.TopLogprobs, lse)
		}
	}
}

// slots counts the batch places the active jobs hold: their sequences plus the sibling
// completions of prompts still prefilling.
func slots(active []*seqState) int {
	n := 0
	for _, s := range active {
		n++
		if s.prefilling() {
			n += s.job.N - 1
		}
	}
	return n
}
