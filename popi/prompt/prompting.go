package prompt

import (
	"github.com/popi-go/popi/popi/data"
)

// Conditioning is what a generator sees besides the user prompt: nothing (the Base-Model),
// the raw user signals, or a preference summary.
type Conditioning struct {
	Cond    Condition
	Signals string // CondSignals
	Summary string // CondSummary
}

// Prompting fixes how prompts are rendered for a dataset: family, signal mode and template set.
type Prompting struct {
	Family    data.Family
	Mode      data.SignalMode
	Templates TemplateSet
}

// GeneratorMessages renders the generator prompt for one user prompt under c.
func (p Prompting) GeneratorMessages(c Conditioning, prompt string) (Messages, error) {
	return GeneratorMessages(p.Templates, p.Family, p.Mode, c.Cond, prompt, c.Signals, c.Summary)
}

// InferenceMessages renders the inference-model prompt for an episode's signals; with a
// non-empty prompt, the prompt-dependent variant (Appendix B).
func (p Prompting) InferenceMessages(signals, prompt string) (Messages, error) {
	if prompt != "" {
		return InferenceMessagesPromptDependent(p.Family, signals, prompt)
	}
	return InferenceMessages(p.Family, p.Mode, signals)
}
