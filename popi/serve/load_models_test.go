package serve

import (
	"path/filepath"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// The summary writer is a Stage-1 adapter on the base (a view sharing its weights) or a
// full checkpoint directory.
func TestLoadSummarizer(t *testing.T) {
	m, tok := tinyModel(t)
	p := prompt.Prompting{Family: data.FamilyELIX}
	a, err := llama.NewAdapter(m.Config, llama.AdapterConfig{R: 2, Alpha: 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "inference")
	if err := a.Save(dir); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSummarizer(dir, m, tok, false, p, 16)
	if err != nil {
		t.Fatal(err)
	}
	if s.Model.Adapter() == nil || !s.Model.IsView() || s.MaxTokens != 16 || s.P != p {
		t.Fatalf("adapter summarizer: adapter %v view %v", s.Model.Adapter() != nil, s.Model.IsView())
	}
	full, err := LoadSummarizer(tinyDir, m, tok, false, p, 16)
	if err != nil {
		t.Fatal(err)
	}
	if full.Model.Adapter() != nil || full.Model == m {
		t.Fatal("checkpoint summarizer should be its own model")
	}
	if _, err := LoadSummarizer(t.TempDir(), m, tok, false, p, 16); err == nil {
		t.Fatal("an empty directory was accepted")
	}
}
