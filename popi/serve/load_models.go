package serve

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi"
	"github.com/popi-go/popi/popi/prompt"
)

// LoadSummarizer loads the summary writer πφ from dir: a PEFT adapter directory
// (adapter_config.json: the Stage-1 adapter, applied to base unmerged) or a full model
// directory (a Stage-1 checkpoint, with its own tokenizer). Summaries are greedy, at most
// maxTokens long, through p's inference template.
func LoadSummarizer(dir string, base *llama.Model, baseTok *llama.Tokenizer, plain bool, p prompt.Prompting, maxTokens int) (*popi.Summarizer, error) {
	m, tok := base, baseTok
	if _, err := os.Stat(filepath.Join(dir, "adapter_config.json")); err == nil {
		a, err := llama.LoadAdapter(dir, base.Config)
		if err != nil {
			return nil, err
		}
		if m, err = base.WithAdapter(a); err != nil {
			return nil, fmt.Errorf("serve: summarizer adapter %s: %w", dir, err)
		}
	} else {
		var err error
		if m, tok, err = popi.LoadBase(dir, ""); err != nil {
			return nil, err
		}
	}
	enc, err := prompt.NewChatEncoder(tok, m.Config, plain)
	if err != nil {
		return nil, err
	}
	return &popi.Summarizer{Model: m, Enc: enc, P: p, MaxTokens: maxTokens}, nil
}
