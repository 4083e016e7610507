package prompt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
)

// Messages is a rendered (system, user) prompt; applying a chat template is the model's job.
type Messages struct {
	System string `json:"system"`
	User   string `json:"user"`
}

// Llama is the prompt as Llama chat messages (llama.PromptMessages: a blank system
// message is left out, as the Llama 3.2 template renders it).
func (m Messages) Llama() []llama.Message { return llama.PromptMessages(m.System, m.User) }

// TemplateSet selects the generator templates.
type TemplateSet int

const (
	// TemplatesPaper is the primary set (Figure 7).
	TemplatesPaper TemplateSet = iota
	// TemplatesAlternative is the robustness-ablation set (Figure 3), FSPO families only.
	TemplatesAlternative
)

// Condition is what the generator is conditioned on besides the prompt.
type Condition int

const (
	// CondPrompt: the user prompt only (the Base-Model).
	CondPrompt Condition = iota
	// CondSignals: raw user signals and the prompt (Raw-Prompting).
	CondSignals
	// CondSummary: a preference summary and the prompt (Inference-Prompting, POPI).
	CondSummary
)

func (c Condition) String() string {
	switch c {
	case CondPrompt:
		return "prompt"
	case CondSignals:
		return "signals"
	case CondSummary:
		return "summary"
	}
	return fmt.Sprintf("Condition(%d)", int(c))
}

// fill substitutes placeholders in one pass, so text inserted for one placeholder is
// never itself searched for another.
func fill(tmpl, signals, prompt, summary string) string {
	return strings.NewReplacer(phUserSignals, signals, phUserPrompt, prompt, phSummary, summary).Replace(tmpl)
}

// RenderPreferencePairs renders preference pairs as the {user_signals} of the FSPO
// templates: numbered examples, each with its prompt, preferred and dispreferred response.
func RenderPreferencePairs(pairs []data.PrefPair) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "## Example %d\n### Prompt\n%s\n### Preferred Response\n%s\n### Dispreferred Response\n%s",
			i+1, p.Prompt, p.Chosen, p.Rejected)
	}
	return b.String()
}

// EpisodeSignals is the {user_signals} text of an episode: its SignalText when set
// (AlignX), otherwise its signal pairs rendered by RenderPreferencePairs.
func EpisodeSignals(ep *data.Episode) string {
	if ep.SignalText != "" {
		return ep.SignalText
	}
	return RenderPreferencePairs(ep.Signals)
}

// InferenceMessages renders the inference-model prompt that turns user signals into a
// preference summary (Figure 7, left). mode matters for AlignX only.
func InferenceMessages(fam data.Family, mode data.SignalMode, signals string) (Messages, error) {
	if strings.TrimSpace(signals) == "" {
		return Messages{}, errors.New("popi: InferenceMessages: empty user signals")
	}
	var tmpl string
	switch {
	case fam.IsFSPO():
		tmpl = InferFSPOTemplate
	case fam == data.FamilyAlignX && mode == data.SignalsRaw:
		tmpl = InferAlignXRawTemplate
	case fam == data.FamilyAlignX && mode == data.SignalsDirection:
		tmpl = InferAlignXDirectionTemplate
	default:
		return Messages{}, fmt.Errorf("popi: InferenceMessages: no template for family %v, signal mode %d", fam, mode)
	}
	return Messages{System: SystemHelpful, User: fill(tmpl, signals, "", "")}, nil
}

// InferenceMessagesPromptDependent renders the prompt-dependent ablation's inference
// prompt (user signals plus the upcoming prompt); the paper defines it for FSPO families.
func InferenceMessagesPromptDependent(fam data.Family, signals, prompt string) (Messages, error) {
	if !fam.IsFSPO() {
		return Messages{}, fmt.Errorf("popi: prompt-dependent summaries are defined for ELIX, Review and Roleplay, not %v", fam)
	}
	if strings.TrimSpace(signals) == "" || strings.TrimSpace(prompt) == "" {
		return Messages{}, errors.New("popi: InferenceMessagesPromptDependent: empty signals or prompt")
	}
	return Messages{System: SystemHelpful, User: fill(InferFSPOPromptDependentTemplate, signals, prompt, "")}, nil
}

// GeneratorMessages renders the generator prompt for a condition (Figure 7 right, or
// Figure 3 with TemplatesAlternative). signals is used by CondSignals, summary by
// CondSummary; mode matters for AlignX with CondSignals only.
func GeneratorMessages(set TemplateSet, fam data.Family, mode data.SignalMode, cond Condition, prompt, signals, summary string) (Messages, error) {
	if strings.TrimSpace(prompt) == "" {
		return Messages{}, errors.New("popi: GeneratorMessages: empty user prompt")
	}
	switch cond {
	case CondSignals:
		if strings.TrimSpace(signals) == "" {
			return Messages{}, errors.New("popi: GeneratorMessages: condition signals with empty user signals")
		}
	case CondSummary:
		if strings.TrimSpace(summary) == "" {
			return Messages{}, errors.New("popi: GeneratorMessages: condition summary with an empty summary")
		}
	case CondPrompt:
	default:
		return Messages{}, fmt.Errorf("popi: GeneratorMessages: unknown condition %d", cond)
	}
	var sys, tmpl string
	switch {
	case set == TemplatesAlternative && fam.IsFSPO():
		sys = SystemAltPersonalize
		switch cond {
		case CondPrompt:
			sys, tmpl = SystemAltPromptOnly, GenAltPromptTemplate
		case CondSignals:
			tmpl = GenAltSignalsTemplate
		case CondSummary:
			tmpl = GenAltSummaryTemplate
		}
	case set == TemplatesAlternative:
		return Messages{}, fmt.Errorf("popi: the alternative template set is defined for ELIX, Review and Roleplay, not %v", fam)
	case set != TemplatesPaper:
		return Messages{}, fmt.Errorf("popi: unknown template set %d", set)
	case fam.IsFSPO():
		sys = SystemHelpful
		tmpl = map[Condition]string{CondPrompt: GenFSPOPromptTemplate, CondSignals: GenFSPOSignalsTemplate, CondSummary: GenFSPOSummaryTemplate}[cond]
	case fam == data.FamilyAlignX:
		sys = SystemRedditMimic
		switch cond {
		case CondPrompt:
			sys, tmpl = SystemRedditComment, GenAlignXPromptTemplate
		case CondSignals:
			tmpl = GenAlignXRawSignalsTemplate
			if mode == data.SignalsDirection {
				tmpl = GenAlignXDirectionSignalsTemplate
			}
		case CondSummary:
			tmpl = GenAlignXSummaryTemplate
		}
	default:
		return Messages{}, fmt.Errorf("popi: GeneratorMessages: unknown family %v", fam)
	}
	return Messages{System: sys, User: fill(tmpl, signals, prompt, summary)}, nil
}
