package tinybase

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/world"
)

// committedModel is the built-in base model shipped with the repository.
var committedModel = filepath.Join("..", "..", "models", "popi-tiny")

// TestCommittedCheckpoint loads the committed base model and checks its architecture
// against the recipe, its tokenizer files, and that a greedy answer is a well-formed
// assistant turn.
func TestCommittedCheckpoint(t *testing.T) {
	m, tok, err := Load(committedModel)
	if err != nil {
		t.Fatalf("the committed base model does not load (run `go run ./cmd/pretrain`): %v", err)
	}
	c := DefaultConfig()
	cfg := m.Config
	if cfg.Hidden != c.Hidden || cfg.Intermediate != c.Intermediate || cfg.Layers != c.Layers ||
		cfg.Heads != c.Heads || cfg.KVHeads != c.KVHeads || cfg.MaxPositions != c.MaxPositions {
		t.Fatalf("committed config %+v does not match the recipe %+v", cfg, c)
	}
	if !cfg.TieWordEmbeddings || cfg.KVHeads >= cfg.Heads || cfg.RopeScaling == nil || cfg.RopeScaling.Type != "llama3" {
		t.Fatalf("not the LLaMA-3.2 architecture (tied, GQA, llama3 RoPE): %+v", cfg)
	}
	if cfg.Vocab != tok.VocabSize() || m.Embed.Rows != cfg.Vocab || m.Embed.Cols != cfg.Hidden || len(m.Layers) != cfg.Layers {
		t.Fatalf("shapes: vocab %d, tokenizer %d, embed %dx%d, %d layers", cfg.Vocab, tok.VocabSize(), m.Embed.Rows, m.Embed.Cols, len(m.Layers))
	}
	if l := m.Layers[0]; l.K.Rows != cfg.KVHeads*cfg.HeadDim || l.Q.Rows != cfg.Heads*cfg.HeadDim || l.Gate.Rows != cfg.Intermediate {
		t.Fatalf("layer shapes q %d k %d gate %d", l.Q.Rows, l.K.Rows, l.Gate.Rows)
	}
	if n := m.NumParams(); n < 500_000 || n > 5_000_000 {
		t.Fatalf("%d parameters, want about 1-5M", n)
	}
	for _, s := range Specials {
		if _, ok := tok.SpecialID(s); !ok {
			t.Fatalf("tokenizer lacks %s", s)
		}
	}
	eot, _ := tok.SpecialID("<|eot_id|>")
	if !cfg.IsEOS(eot) {
		t.Fatal("<|eot_id|> is not an eos id of the config")
	}

	// Tokenizer round trip on world text (including held-out topics it never saw) and
	// on arbitrary bytes; the tiktoken file and tokenizer.json encode alike.
	tt, err := llama.LoadTiktoken(filepath.Join(committedModel, "tokenizer.model"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := world.New(c.World)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"naïve café — 日本語 \x00\xff tabs\tand\nnewlines"}
	for _, u := range w.Users(true)[:4] {
		texts = append(texts, u.Pairs[0].Prompt, u.Pairs[0].Chosen, u.Persona.Summary())
	}
	for _, s := range texts {
		ids := tok.Encode(s, false)
		back, err := tok.Decode(ids)
		if err != nil || string(back) != s {
			t.Fatalf("round trip %q -> %q (%v)", s, back, err)
		}
		if !slices.Equal(ids, tt.Encode(s, false)) {
			t.Fatalf("tokenizer.json and tokenizer.model disagree on %q", s)
		}
	}

	// One greedy answer for a held-out user, conditioned on the correct summary.
	u := w.Users(true)[0]
	msg, err := prompt.GeneratorMessages(prompt.TemplatesPaper, data.FamilyELIX, data.SignalsRaw, prompt.CondSummary, u.Pairs[0].Prompt, "", u.Persona.Summary())
	if err != nil {
		t.Fatal(err)
	}
	prompt := tok.EncodeChat(msg.Llama(), llama.ChatOptions{AddGenerationPrompt: true, Date: prompt.DefaultChatDate})
	comp, err := m.Generate(prompt, llama.GenerateOptions{MaxTokens: 160})
	if err != nil {
		t.Fatal(err)
	}
	if comp.Finish != llama.FinishStop || comp.Tokens[len(comp.Tokens)-1] != eot {
		t.Fatalf("greedy answer did not end with <|eot_id|> (%v, %d tokens)", comp.Finish, len(comp.Tokens))
	}
	for _, id := range comp.Tokens[:len(comp.Tokens)-1] {
		if tok.IsSpecial(id) {
			t.Fatalf("special token %d inside the answer", id)
		}
	}
	text, err := tok.Decode(comp.Tokens[:len(comp.Tokens)-1])
	if err != nil || !utf8.Valid(text) {
		t.Fatalf("answer does not decode to UTF-8: %v", err)
	}
	if n := len(world.Words(string(text))); n < 4 || strings.TrimSpace(string(text)) != string(text) {
		t.Fatalf("answer not a well-formed response: %q", text)
	}
	t.Logf("[%s] %s -> %q (fit %.2f)", u.Persona.Code(), u.Pairs[0].Prompt, text, world.Fit(u.Persona, string(text)))
}
