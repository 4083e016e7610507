package tinybase

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
)

// Specials are the special tokens of the built-in tokenizer: the first eleven
// of the Llama-3 tokenizer, in Meta's order and with Meta's names, which cover the
// Llama 3.2 chat template (<|begin_of_text|>, <|start_header_id|>, <|end_header_id|>,
// <|eot_id|>) and the end-of-text, padding and end-of-message tokens.
var Specials = []string{
	"<|begin_of_text|>",
	"<|end_of_text|>",
	"<|reserved_special_token_0|>",
	"<|reserved_special_token_1|>",
	"<|finetune_right_pad_id|>",
	"<|reserved_special_token_2|>",
	"<|start_header_id|>",
	"<|end_header_id|>",
	"<|eom_id|>",
	"<|eot_id|>",
	"<|python_tag|>",
}

// pretrainDate draws a "Today Date" for the chat template's system block, so the model
// learns to ignore it (the pipeline renders prompts with the current date).
func pretrainDate(rng *rand.Rand) string {
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	return fmt.Sprintf("%02d %s %d", 1+rng.IntN(28), months[rng.IntN(12)], 2024+rng.IntN(6))
}

// EncodeChatExample tokenizes one supervised chat example through the Llama 3.2 chat
// template: the prompt ids end with the assistant header, and the target ids are the
// trimmed assistant text followed by <|eot_id|>. prompt+target equals the ids of the whole
// conversation rendered with the assistant turn.
func EncodeChatExample(tok *llama.Tokenizer, ex prompt.ChatExample, date string) (prompt, target []int, err error) {
	eot, ok := tok.SpecialID("<|eot_id|>")
	if !ok {
		return nil, nil, errors.New("popi: tokenizer has no <|eot_id|> token")
	}
	if strings.TrimSpace(ex.Assistant) == "" {
		return nil, nil, errors.New("popi: chat example with an empty assistant target")
	}
	prompt = tok.EncodeChat(ex.Messages.Llama(), llama.ChatOptions{AddGenerationPrompt: true, Date: date})
	target = append(tok.Encode(strings.TrimSpace(ex.Assistant), false), eot)
	return prompt, target, nil
}

// pretrainSeq is one tokenized training example: ids and the loss weight of predicting
// ids[t+1] from ids[:t+1] (len(weights) == len(ids)-1).
type pretrainSeq struct {
	kind    world.Kind
	ids     []int
	weights []float32
}

// encodeCorpus tokenizes chat examples, weighting assistant targets 1 and the prompt
// promptWeight (the first token, BOS, is never predicted). Examples longer than maxLen
// are an error naming the example and its length.
func encodeCorpus(tok *llama.Tokenizer, exs []prompt.ChatExample, kinds []world.Kind, promptWeight float32, maxLen int, seed uint64) ([]pretrainSeq, error) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]pretrainSeq, len(exs))
	for i, ex := range exs {
		p, t, err := EncodeChatExample(tok, ex, pretrainDate(rng))
		if err != nil {
			return nil, fmt.Errorf("popi: pretrain example %d: %w", i, err)
		}
		n := len(p) + len(t)
		if maxLen > 0 && n > maxLen {
			return nil, fmt.Errorf("popi: pretrain example %d (%s) has %d tokens, more than the context %d", i, ex.Kind, n, maxLen)
		}
		ids := append(p, t...)
		w := make([]float32, n-1)
		for j := range w {
			if j+1 >= len(p) {
				w[j] = 1
			} else {
				w[j] = promptWeight
			}
		}
		out[i] = pretrainSeq{kind: kinds[i], ids: ids, weights: w}
	}
	return out, nil
}

// batcher draws batches of similar length: each epoch shuffles the examples, sorts
// windows of 32 batches by length, cuts them into batches and shuffles the batches.
type batcher struct {
	seqs  []pretrainSeq
	batch int
	rng   *rand.Rand
	queue [][]int
	epoch int
}

func newBatcher(seqs []pretrainSeq, batch int, seed uint64) *batcher {
	return &batcher{seqs: seqs, batch: batch, rng: rand.New(rand.NewPCG(seed, 0xba7c4e5))}
}

func (b *batcher) refill() {
	idx := make([]int, len(b.seqs))
	for i := range idx {
		idx[i] = i
	}
	b.rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	win := 32 * b.batch
	var batches [][]int
	for s := 0; s < len(idx); s += win {
		e := min(s+win, len(idx))
		w := idx[s:e]
		sort.SliceStable(w, func(i, j int) bool { return len(b.seqs[w[i]].ids) < len(b.seqs[w[j]].ids) })
		for k := 0; k < len(w); k += b.batch {
			if k+b.batch > len(w) {
				break // drop a ragged tail; the next epoch reshuffles
			}
			batches = append(batches, append([]int(nil), w[k:k+b.batch]...))
		}
	}
	b.rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	b.queue = batches
	b.epoch++
}

// next returns the next batch of example indices.
func (b *batcher) next() []int {
	if len(b.queue) == 0 {
		b.refill()
	}
	out := b.queue[0]
	b.queue = b.queue[1:]
	return out
}

// padBatch right-pads the batch's sequences to a common length with pad and returns the
// ids, the flattened next-token targets (-1 where nothing is predicted) and weights.
func padBatch(seqs []pretrainSeq, idx []int, pad int) (ids [][]int, targets []int, weights []float32, wsum float64) {
	T := 0
	for _, i := range idx {
		T = max(T, len(seqs[i].ids))
	}
	ids = make([][]int, len(idx))
	targets = make([]int, 0, len(idx)*T)
	weights = make([]float32, 0, len(idx)*T)
	for b, i := range idx {
		s := seqs[i]
		row := make([]int, T)
		copy(row, s.ids)
		for j := len(s.ids); j < T; j++ {
			row[j] = pad
		}
		ids[b] = row
		for j := 0; j < T; j++ {
			if j < len(s.ids)-1 && s.weights[j] > 0 {
				targets = append(targets, s.ids[j+1])
				weights = append(weights, s.weights[j])
				wsum += float64(s.weights[j])
			} else {
				targets = append(targets, -1)
				weights = append(weights, 0)
			}
		}
	}
	return ids, targets, weights, wsum
}

// Lengths summarizes the token lengths of one kind of corpus example.
type Lengths struct {
	Kind       world.Kind
	N          int
	Mean       float64 // whole example (prompt + target)
	P95, Max   int
	TargetMean float64 // assistant target tokens including <|eot_id|>
}

func pretrainLengthStats(seqs []pretrainSeq) []Lengths {
	by := map[world.Kind][]int{}
	tgt := map[world.Kind]float64{}
	for _, s := range seqs {
		by[s.kind] = append(by[s.kind], len(s.ids))
		for _, w := range s.weights {
			if w == 1 {
				tgt[s.kind]++
			}
		}
	}
	var out []Lengths
	for k := world.KindSummarize; k <= world.KindAnswerBase; k++ {
		ls := by[k]
		if len(ls) == 0 {
			continue
		}
		sort.Ints(ls)
		sum := 0
		for _, l := range ls {
			sum += l
		}
		out = append(out, Lengths{Kind: k, N: len(ls), Mean: float64(sum) / float64(len(ls)),
			P95: ls[len(ls)*95/100], Max: ls[len(ls)-1], TargetMean: tgt[k] / float64(len(ls))})
	}
	return out
}

// topicSwapper renames the world's topics inside corpus examples to made-up words.
// The world keeps held-out topics out of the corpus, so a model trained on the training
// topics alone memorizes them and cannot write about a topic it has never seen (the
// held-out users' prompts); renaming a topic consistently in a fraction of the examples
// (prompt, signals and target alike) teaches it to copy the topic from the prompt.
type topicSwapper struct {
	re *regexp.Regexp
}

func newTopicSwapper() *topicSwapper {
	var alts []string
	for i := range world.NumTopics {
		alts = append(alts, regexp.QuoteMeta(world.Topic(i)))
	}
	// Longest first, so "rainbows" wins over "rain"; an optional capital initial.
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	for i, a := range alts {
		alts[i] = "[" + strings.ToUpper(a[:1]) + a[:1] + "]" + a[1:]
	}
	return &topicSwapper{re: regexp.MustCompile(`\b(?:` + strings.Join(alts, "|") + `)\b`)}
}

// pseudoWord makes a pronounceable made-up word of 2-3 syllables, sometimes a plural
// or preceded by "the".
func pseudoWord(rng *rand.Rand) string {
	const cons, vow = "bcdfghklmnprstvz", "aeiou"
	var b strings.Builder
	if rng.IntN(5) == 0 {
		b.WriteString("the ")
	}
	for range 2 + rng.IntN(2) {
		b.WriteByte(cons[rng.IntN(len(cons))])
		b.WriteByte(vow[rng.IntN(len(vow))])
	}
	switch rng.IntN(3) {
	case 0:
		b.WriteByte('s')
	case 1:
		b.WriteByte(cons[rng.IntN(len(cons))])
	}
	return b.String()
}

// swap returns ex with every topic renamed to its own fresh made-up word (capitalized
// where the topic was), the same word everywhere in the example.
func (s *topicSwapper) swap(ex prompt.ChatExample, rng *rand.Rand) prompt.ChatExample {
	names := map[string]string{}
	repl := func(m string) string {
		key := strings.ToLower(m[:1]) + m[1:]
		w, ok := names[key]
		if !ok {
			w = pseudoWord(rng)
			names[key] = w
		}
		if m[0] >= 'A' && m[0] <= 'Z' {
			return strings.ToUpper(w[:1]) + w[1:]
		}
		return w
	}
	ex.Messages.System = s.re.ReplaceAllStringFunc(ex.Messages.System, repl)
	ex.Messages.User = s.re.ReplaceAllStringFunc(ex.Messages.User, repl)
	ex.Assistant = s.re.ReplaceAllStringFunc(ex.Assistant, repl)
	return ex
}
