package popi

import (
	"sync"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
)

// tinyFixture is a small persona world, a BPE tokenizer trained on its rendered corpus and
// a random tiny LLaMA, shared by the pipeline tests (built once per test binary).
type tinyFixture struct {
	World *world.World
	Tok   *llama.Tokenizer
	Cfg   *llama.Config
	Enc   *prompt.ChatEncoder
}

var (
	fixOnce sync.Once
	fix     *tinyFixture
	fixErr  error
)

var testSpecials = []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>"}

func buildFixture() (*tinyFixture, error) {
	w, err := world.New(world.Config{Seed: 5, TrainUsers: 12, HeldOutUsers: 4, PairsPerUser: 10, HeldOutTopics: 12})
	if err != nil {
		return nil, err
	}
	exs, err := w.Corpus(world.CorpusConfig{N: 120, Seed: 1})
	if err != nil {
		return nil, err
	}
	chats, err := prompt.RenderWorldCorpus(exs, prompt.TemplatesPaper)
	if err != nil {
		return nil, err
	}
	var texts [][]byte
	for _, c := range chats {
		msgs := append(c.Messages.Llama(), llama.Message{Role: "assistant", Content: c.Assistant})
		texts = append(texts, []byte(llama.RenderChat(msgs, llama.ChatOptions{Date: prompt.DefaultChatDate})))
	}
	for _, s := range w.Texts(200, 3) {
		texts = append(texts, []byte(s))
	}
	tok, err := llama.TrainBPE(texts, 700, testSpecials)
	if err != nil {
		return nil, err
	}
	eot, _ := tok.SpecialID("<|eot_id|>")
	bos, _ := tok.SpecialID("<|begin_of_text|>")
	cfg := &llama.Config{Vocab: tok.VocabSize(), Hidden: 64, Intermediate: 172, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16,
		RMSNormEps: 1e-5, RopeTheta: 500000, TieWordEmbeddings: true, BOS: bos, EOS: []int{eot}, MaxPositions: 2048, TorchDType: "float32"}
	enc, err := prompt.NewChatEncoder(tok, cfg, false)
	if err != nil {
		return nil, err
	}
	return &tinyFixture{World: w, Tok: tok, Cfg: cfg, Enc: enc}, nil
}

func getFixture(t testing.TB) *tinyFixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = buildFixture() })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

// model returns a fresh random model of the fixture's config.
func (f *tinyFixture) model(t testing.TB, seed uint64) *llama.Model {
	t.Helper()
	m, err := llama.NewRandom(f.Cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// modelOf returns a random model of another config.
func (f *tinyFixture) modelOf(t testing.TB, cfg *llama.Config) *llama.Model {
	t.Helper()
	m, err := llama.NewRandom(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
