package tinybase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
)

// Config is the recipe of the built-in tiny base model: the persona world and
// corpus it learns from, the tokenizer, the LLaMA-3 architecture and the optimization.
// DefaultConfig returns the recipe of the committed checkpoint.
type Config struct {
	World            world.Config // the persona world (its Seed fixes users and topics)
	CorpusSeed       uint64       // sampling seed of the training corpus
	Examples         int          // corpus examples
	Mix              []float64    // weights of the four world.Kind values (nil = world default {3, 3, 2, 2})
	CleanSummaryRate float64      // world.CorpusConfig.CleanSummaryRate (0 = world default)
	// ConciseSummaryRate is world.CorpusConfig.ConciseSummaryRate: the share of summary
	// targets in the concise register, the rest instruct-style (0 = world default, 0.25).
	ConciseSummaryRate float64
	MinSummaryShots    int     // world.CorpusConfig.MinSummaryShots (0: every summary from 4 pairs)
	TopicSwapRate      float64 // fraction of examples whose topics are renamed to made-up words (0 in the committed recipe)
	// AnswerAllTopics makes the prompts answered in the corpus cover every topic of the
	// world, held-out topics included, as a real base LLM knows the topics its held-out
	// users ask about. Users, their pairs and the summaries written from them stay on
	// training users (and so training topics). True in the committed recipe.
	AnswerAllTopics bool
	// AnnealSteps, if positive, are the last steps of the schedule; they draw from a
	// second corpus of AnnealExamples examples with the kind weights AnnealMix (corpus
	// seed CorpusSeed+1), as instruct models end pre-training on instruction data.
	AnnealSteps, AnnealExamples int
	AnnealMix                   []float64
	TokenizerExamples           int // examples (of the corpus) the BPE is trained on
	VocabSize                   int // BPE vocabulary size, bytes + merges + specials

	Hidden, Intermediate, Layers, Heads, KVHeads int
	MaxPositions                                 int // max_position_embeddings; also the longest example allowed

	Seed         uint64  // weight initialization and batch order
	Steps        int     // optimizer steps
	Batch        int     // sequences per step
	Warmup       int     // linear warm-up steps (at most Steps)
	LR, FinalLR  float64 // peak and final learning rate (cosine decay)
	WeightDecay  float64 // AdamW decoupled decay on matrices
	Clip         float64 // global gradient-norm clip (0 = none)
	PromptWeight float64 // loss weight of prompt tokens (assistant tokens weigh 1)

	Budget      time.Duration // stop early (and still save) after this wall time (0 = none)
	Log         io.Writer     // progress lines (nil = silent)
	LogEvery    int           // steps between progress lines (10 if 0)
	MetricsPath string        // JSONL with one record per logged step ("" = none)

	// Snapshot, if set, is called every SnapshotEvery steps (and not after the last)
	// with the model in training, e.g. to save an intermediate directory.
	Snapshot      func(step int, m *llama.Model, tok *llama.Tokenizer) error
	SnapshotEvery int
}

// DefaultConfig is the recipe of the committed checkpoint models/popi-tiny.
func DefaultConfig() Config {
	return Config{
		World:              world.Config{Seed: 1},
		CorpusSeed:         7,
		AnswerAllTopics:    true,
		Examples:           30000,
		Mix:                []float64{8, 4, 1, 1},
		MinSummaryShots:    1,
		ConciseSummaryRate: 0.35,
		CleanSummaryRate:   0.7,
		AnnealSteps:        400,
		AnnealExamples:     8000,
		AnnealMix:          []float64{3, 1, 0, 0},
		TokenizerExamples:  2000,
		VocabSize:          1536,
		Hidden:             128,
		Intermediate:       384,
		Layers:             4,
		Heads:              4,
		KVHeads:            2,
		MaxPositions:       1024,
		Seed:               1,
		Steps:              2000,
		Batch:              16,
		Warmup:             50,
		LR:                 3e-3,
		FinalLR:            3e-4,
		WeightDecay:        0.05,
		Clip:               1,
		PromptWeight:       0.05,
		LogEvery:           10,
	}
}

// Validate checks a recipe for values that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Examples <= 0:
		return errors.New("popi: pretrain: Examples must be positive")
	case c.TokenizerExamples <= 0:
		return errors.New("popi: pretrain: TokenizerExamples must be positive")
	case c.VocabSize < 256+len(Specials)+1:
		return fmt.Errorf("popi: pretrain: VocabSize %d too small (at least %d)", c.VocabSize, 256+len(Specials)+1)
	case c.Hidden <= 0 || c.Intermediate <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.KVHeads <= 0:
		return errors.New("popi: pretrain: Hidden, Intermediate, Layers, Heads and KVHeads must be positive")
	case c.Hidden%c.Heads != 0 || (c.Hidden/c.Heads)%2 != 0:
		return fmt.Errorf("popi: pretrain: Hidden %d must split into %d heads of even size", c.Hidden, c.Heads)
	case c.Heads%c.KVHeads != 0:
		return fmt.Errorf("popi: pretrain: Heads %d not a multiple of KVHeads %d", c.Heads, c.KVHeads)
	case c.MaxPositions < 16:
		return fmt.Errorf("popi: pretrain: MaxPositions %d too small", c.MaxPositions)
	case c.Steps <= 0 || c.Batch <= 0:
		return errors.New("popi: pretrain: Steps and Batch must be positive")
	case c.Batch > c.Examples:
		return fmt.Errorf("popi: pretrain: Batch %d larger than the corpus (%d examples)", c.Batch, c.Examples)
	case c.Warmup < 0:
		return fmt.Errorf("popi: pretrain: negative Warmup %d", c.Warmup)
	case !(c.LR > 0) || c.FinalLR < 0 || c.FinalLR > c.LR || math.IsInf(c.LR, 0):
		return fmt.Errorf("popi: pretrain: need 0 <= FinalLR (%g) <= LR (%g), LR > 0", c.FinalLR, c.LR)
	case c.WeightDecay < 0 || c.Clip < 0 || c.PromptWeight < 0 || c.PromptWeight > 1 || c.TopicSwapRate < 0 || c.TopicSwapRate > 1:
		return errors.New("popi: pretrain: WeightDecay and Clip must be >= 0, PromptWeight and TopicSwapRate in [0, 1]")
	case c.Budget < 0:
		return errors.New("popi: pretrain: negative Budget")
	case c.AnnealSteps < 0 || c.AnnealSteps > c.Steps:
		return fmt.Errorf("popi: pretrain: AnnealSteps %d not in [0, Steps %d]", c.AnnealSteps, c.Steps)
	case c.AnnealSteps > 0 && (c.AnnealExamples < c.Batch || len(c.AnnealMix) != 4):
		return errors.New("popi: pretrain: annealing needs AnnealExamples >= Batch and 4 AnnealMix weights")
	}
	return nil
}

// ModelConfig is the LLaMA-3 architecture of the recipe for a vocabulary of vocab tokens
// whose specials are Specials numbered from vocab-len(Specials).
func (c *Config) ModelConfig(tok *llama.Tokenizer) (*llama.Config, error) {
	id := func(s string) (int, error) {
		v, ok := tok.SpecialID(s)
		if !ok {
			return 0, fmt.Errorf("popi: pretrain: tokenizer lacks %s", s)
		}
		return v, nil
	}
	bos, err := id("<|begin_of_text|>")
	if err != nil {
		return nil, err
	}
	var eos []int
	for _, s := range []string{"<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"} {
		v, err := id(s)
		if err != nil {
			return nil, err
		}
		eos = append(eos, v)
	}
	cfg := &llama.Config{
		Vocab:        tok.VocabSize(),
		Hidden:       c.Hidden,
		Intermediate: c.Intermediate,
		Layers:       c.Layers,
		Heads:        c.Heads,
		KVHeads:      c.KVHeads,
		HeadDim:      c.Hidden / c.Heads,
		RMSNormEps:   1e-5,
		RopeTheta:    500000,
		RopeScaling: &llama.RopeScaling{
			Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192,
		},
		TieWordEmbeddings: true,
		BOS:               bos,
		EOS:               eos,
		MaxPositions:      c.MaxPositions,
		TorchDType:        "float32",
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("popi: pretrain: model config: %w", err)
	}
	return cfg, nil
}

// Corpus builds the recipe's world and its rendered chat corpus.
func Corpus(c *Config) (*world.World, []prompt.ChatExample, []world.Kind, error) {
	w, err := world.New(c.World)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("popi: pretrain: world: %w", err)
	}
	chats, kinds, err := c.corpus(w, c.Examples, c.Mix, c.CorpusSeed)
	return w, chats, kinds, err
}

// AnnealCorpus builds the rendered corpus of the annealing steps (nil without them).
func AnnealCorpus(c *Config, w *world.World) ([]prompt.ChatExample, []world.Kind, error) {
	if c.AnnealSteps == 0 {
		return nil, nil, nil
	}
	return c.corpus(w, c.AnnealExamples, c.AnnealMix, c.CorpusSeed+1)
}

func (c *Config) corpus(w *world.World, n int, mix []float64, seed uint64) ([]prompt.ChatExample, []world.Kind, error) {
	cc := world.CorpusConfig{N: n, Seed: seed, Mix: mix, CleanSummaryRate: c.CleanSummaryRate, ConciseSummaryRate: c.ConciseSummaryRate,
		MinSummaryShots: c.MinSummaryShots}
	if c.AnswerAllTopics {
		cc.AnswerTopics = w.AllTopics()
	}
	exs, err := w.Corpus(cc)
	if err != nil {
		return nil, nil, fmt.Errorf("popi: pretrain: corpus: %w", err)
	}
	chats, err := prompt.RenderWorldCorpus(exs, prompt.TemplatesPaper)
	if err != nil {
		return nil, nil, err
	}
	kinds := make([]world.Kind, len(exs))
	for i, e := range exs {
		kinds[i] = e.Kind
	}
	return chats, kinds, nil
}

// TrainTokenizer trains the byte-level BPE on the first n examples rendered
// through the Llama 3.2 chat template with their assistant turns.
func TrainTokenizer(chats []prompt.ChatExample, n, vocab int) (*llama.Tokenizer, error) {
	n = min(n, len(chats))
	if n == 0 {
		return nil, errors.New("popi: pretrain: no examples for the tokenizer")
	}
	texts := make([][]byte, n)
	for i := range texts {
		msgs := append(chats[i].Messages.Llama(), llama.Message{Role: "assistant", Content: chats[i].Assistant})
		texts[i] = []byte(llama.RenderChat(msgs, llama.ChatOptions{Date: prompt.DefaultChatDate}))
	}
	tok, err := llama.TrainBPE(texts, vocab, Specials)
	if err != nil {
		return nil, fmt.Errorf("popi: pretrain: tokenizer: %w", err)
	}
	return tok, nil
}

// Result is what Pretrain produced.
type Result struct {
	Model     *llama.Model
	Tokenizer *llama.Tokenizer
	World     *world.World
	Steps     int           // steps done (fewer than asked when the budget ran out)
	Tokens    int64         // tokens processed (padding excluded)
	FirstLoss float64       // weighted loss of the first step
	LastLoss  float64       // mean weighted loss of the last logged window
	Wall      time.Duration // wall time of the whole run (corpus, tokenizer, training)
	MaxLen    int           // longest training example in tokens
}

// pretrainMetric is one line of the metrics JSONL.
type pretrainMetric struct {
	Step      int     `json:"step"`
	Loss      float64 `json:"loss"`
	LR        float64 `json:"lr"`
	GradNorm  float64 `json:"grad_norm"`
	TokensSec float64 `json:"tokens_per_sec"`
	Tokens    int64   `json:"tokens"`
	Elapsed   float64 `json:"elapsed_sec"`
}

// Pretrain runs the recipe: world corpus, tokenizer, random LLaMA-3 model, then AdamW
// with warm-up and cosine decay on the weighted next-token loss (assistant tokens 1,
// prompt tokens PromptWeight). It is deterministic from the config on one machine.
// It stops early, keeping what it learned, when ctx is cancelled or the budget runs out.
func Pretrain(ctx context.Context, c Config) (*Result, error) {
	start := time.Now()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) {
		if c.Log != nil {
			fmt.Fprintf(c.Log, format, a...)
		}
	}
	w, chats, kinds, err := Corpus(&c)
	if err != nil {
		return nil, err
	}
	tok, err := TrainTokenizer(chats, c.TokenizerExamples, c.VocabSize)
	if err != nil {
		return nil, err
	}
	logf("corpus: %d examples; tokenizer: %d tokens (%d specials) in %.1fs\n", len(chats), tok.VocabSize(), len(tok.Specials()), time.Since(start).Seconds())
	if c.TopicSwapRate > 0 {
		sw, rng := newTopicSwapper(), rand.New(rand.NewPCG(c.Seed, 0x70b1c))
		n := 0
		for i := range chats {
			if rng.Float64() < c.TopicSwapRate {
				chats[i] = sw.swap(chats[i], rng)
				n++
			}
		}
		logf("topics renamed to made-up words in %d examples\n", n)
	}
	seqs, err := encodeCorpus(tok, chats, kinds, float32(c.PromptWeight), c.MaxPositions, c.Seed)
	if err != nil {
		return nil, err
	}
	achats, akinds, err := AnnealCorpus(&c, w)
	if err != nil {
		return nil, err
	}
	aseqs, err := encodeCorpus(tok, achats, akinds, float32(c.PromptWeight), c.MaxPositions, c.Seed+1)
	if err != nil {
		return nil, err
	}
	res := &Result{Tokenizer: tok, World: w}
	for i, ss := range [][]pretrainSeq{seqs, aseqs} {
		if len(ss) == 0 {
			continue
		}
		var total int64
		longest := 0
		for _, s := range ss {
			longest = max(longest, len(s.ids))
			total += int64(len(s.ids))
		}
		res.MaxLen = max(res.MaxLen, longest)
		name := "corpus"
		if i == 1 {
			name = fmt.Sprintf("annealing corpus (last %d steps)", c.AnnealSteps)
		}
		logf("tokens: %d in %s, mean %.1f, max %d per example\n", total, name, float64(total)/float64(len(ss)), longest)
		for _, st := range pretrainLengthStats(ss) {
			logf("  %-15s %6d examples  tokens mean %5.1f  p95 %4d  max %4d  target mean %5.1f\n", st.Kind, st.N, st.Mean, st.P95, st.Max, st.TargetMean)
		}
	}
	cfg, err := c.ModelConfig(tok)
	if err != nil {
		return nil, err
	}
	model, err := llama.NewRandom(cfg, c.Seed)
	if err != nil {
		return nil, fmt.Errorf("popi: pretrain: init: %w", err)
	}
	res.Model = model
	logf("model: %d parameters (hidden %d, %d layers, %d/%d heads, ffn %d, vocab %d)\n",
		model.NumParams(), c.Hidden, c.Layers, c.Heads, c.KVHeads, c.Intermediate, cfg.Vocab)

	tr := model.Trainable()
	opt := nn.NewAdamW(nn.AdamWConfig{Beta1: 0.9, Beta2: 0.95}, nn.SplitDecay(tr.Params(), c.WeightDecay)...)
	sched := nn.WarmupCosine{Peak: c.LR, Final: c.FinalLR, Warmup: min(c.Warmup, c.Steps), Total: c.Steps}
	pad, _ := tok.SpecialID("<|finetune_right_pad_id|>")
	bt := newBatcher(seqs, c.Batch, c.Seed)
	var abt *batcher
	if len(aseqs) > 0 {
		abt = newBatcher(aseqs, c.Batch, c.Seed+1)
	}

	var metrics *os.File
	var enc *json.Encoder
	if c.MetricsPath != "" {
		if err := os.MkdirAll(filepath.Dir(c.MetricsPath), 0o755); err != nil {
			return nil, fmt.Errorf("popi: pretrain: metrics: %w", err)
		}
		metrics, err = os.Create(c.MetricsPath)
		if err != nil {
			return nil, fmt.Errorf("popi: pretrain: metrics: %w", err)
		}
		defer metrics.Close()
		enc = json.NewEncoder(metrics)
	}
	every := c.LogEvery
	if every <= 0 {
		every = 10
	}
	trainStart := time.Now()
	var winLoss, winW float64
	var winTok int64
	winStart := time.Now()
	for step := 0; step < c.Steps; step++ {
		if err := ctx.Err(); err != nil {
			logf("stopped at step %d: %v\n", step, err)
			break
		}
		if c.Budget > 0 && time.Since(start) > c.Budget {
			logf("budget %v reached at step %d of %d\n", c.Budget, step, c.Steps)
			break
		}
		cur, b := seqs, bt
		if abt != nil && step >= c.Steps-c.AnnealSteps {
			cur, b = aseqs, abt
		}
		idx := b.next()
		lr := sched.LR(step)
		lossVal, gn, wsum, err := pretrainStep(tr, opt, cur, idx, pad, lr, c.Clip)
		if err != nil {
			return nil, fmt.Errorf("popi: pretrain: step %d: %w", step, err)
		}
		var ntok int64
		for _, i := range idx {
			ntok += int64(len(cur[i].ids))
		}
		res.Tokens += ntok
		res.Steps = step + 1
		if step == 0 {
			res.FirstLoss = lossVal
		}
		winLoss += lossVal * wsum
		winW += wsum
		winTok += ntok
		if (step+1)%every == 0 || step+1 == c.Steps {
			el := time.Since(trainStart).Seconds()
			tps := float64(winTok) / time.Since(winStart).Seconds()
			res.LastLoss = winLoss / winW
			eta := time.Duration(float64(c.Steps-step-1) * el / float64(step+1) * float64(time.Second))
			logf("step %5d/%d  loss %.4f  lr %.2e  |g| %.2f  %6.0f tok/s  elapsed %s  ETA %s\n",
				step+1, c.Steps, res.LastLoss, lr, gn, tps, time.Since(start).Round(time.Second), eta.Round(time.Second))
			if enc != nil {
				if err := enc.Encode(pretrainMetric{Step: step + 1, Loss: res.LastLoss, LR: lr, GradNorm: gn, TokensSec: tps, Tokens: res.Tokens, Elapsed: el}); err != nil {
					return nil, fmt.Errorf("popi: pretrain: metrics: %w", err)
				}
			}
			winLoss, winW, winTok = 0, 0, 0
			winStart = time.Now()
		}
		if c.Snapshot != nil && c.SnapshotEvery > 0 && (step+1)%c.SnapshotEvery == 0 && step+1 < c.Steps {
			if err := c.Snapshot(step+1, model, tok); err != nil {
				return nil, fmt.Errorf("popi: pretrain: snapshot at step %d: %w", step+1, err)
			}
		}
	}
	if winW > 0 {
		res.LastLoss = winLoss / winW
	}
	res.Wall = time.Since(start)
	return res, nil
}

// pretrainStep does one optimizer step on the batch idx of seqs and returns the
// weighted loss, the gradient norm before clipping and the total loss weight.
func pretrainStep(tr *llama.Trainable, opt *nn.AdamW, seqs []pretrainSeq, idx []int, pad int, lr, clip float64) (loss, gradNorm, wsum float64, err error) {
	ids, targets, weights, wsum := padBatch(seqs, idx, pad)
	if wsum == 0 {
		return 0, 0, 0, errors.New("batch has no weighted token")
	}
	logits, err := tr.Logits(ids)
	if err != nil {
		return 0, 0, 0, err
	}
	lp := nn.TokenLogProbs(logits, targets)
	l := nn.Scale(nn.MaskedSum(nn.Reshape(lp, 1, len(targets)), weights), float32(-1/wsum))
	loss = float64(l.Data[0])
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, 0, fmt.Errorf("loss is %v", loss)
	}
	opt.ZeroGrad()
	if err := l.Backward(); err != nil {
		return 0, 0, 0, fmt.Errorf("backward: %w", err)
	}
	params := tr.Params()
	gradNorm = nn.GradNorm(params)
	if clip > 0 {
		if _, err := nn.ClipGradNorm(params, clip); err != nil {
			return 0, 0, 0, err
		}
	}
	if err := opt.Step(lr); err != nil {
		return 0, 0, 0, err
	}
	return loss, gradNorm, wsum, nil
}

// pretrainRNG is a deterministic generator for evaluation sampling.
func pretrainRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }
