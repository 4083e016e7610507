package popi

import (
	"fmt"
	"strings"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

// Method is one of the compared personalization methods of section 5.1.
type Method int

const (
	// MethodBase conditions the generator on the prompt only.
	MethodBase Method = iota
	// MethodRawPrompting prepends the raw user signals to the prompt.
	MethodRawPrompting
	// MethodInferencePrompting conditions on summaries of the unoptimized inference model πφ_ref.
	MethodInferencePrompting
	// MethodPOPIInferenceOnly conditions the frozen generator on the Stage-1 summaries.
	MethodPOPIInferenceOnly
	// MethodRawAligned fine-tunes the generator conditioned on raw user signals.
	MethodRawAligned
	// MethodInferenceAligned fine-tunes the generator conditioned on πφ_ref summaries.
	MethodInferenceAligned
	// MethodLoRe fine-tunes the generator with one learned user embedding (a shared
	// low-rank basis, per-user weights) in place of a special token (latent.go).
	MethodLoRe
	// MethodPALA is PAL's Model A: the user embedding is a mixture of K learned prototypes.
	MethodPALA
	// MethodPALB is PAL's Model B: a mixture of K prototype maps of the prompt.
	MethodPALB
	// MethodPOPIFull fine-tunes the generator (Stage 2) on the Stage-1 summaries.
	MethodPOPIFull
	numMethods
)

var methodNames = [...]string{"Base-Model", "Raw-Prompting", "Inference-Prompting", "POPI-Inference-Only",
	"Raw-Aligned", "Inference-Aligned", "LoRe", "PAL-A", "PAL-B", "POPI-Full"}

// String returns the paper's name of the method.
func (m Method) String() string {
	if m < 0 || m >= numMethods {
		return fmt.Sprintf("Method(%d)", int(m))
	}
	return methodNames[m]
}

// Slug is a lower-case file-name form, e.g. "popi-full".
func (m Method) Slug() string { return strings.ToLower(m.String()) }

// ParseMethod maps a method name (case-insensitive, as String or Slug) to its Method.
func ParseMethod(s string) (Method, error) {
	for i, n := range methodNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Method(i), nil
		}
	}
	return 0, fmt.Errorf("popi: unknown method %q (want one of %s)", s, strings.Join(methodNames[:], ", "))
}

// ParseMethods parses a comma-separated list; "all" (or empty) is every method.
func ParseMethods(s string) ([]Method, error) {
	if strings.TrimSpace(s) == "" || strings.EqualFold(strings.TrimSpace(s), "all") {
		return AllMethods(), nil
	}
	var out []Method
	seen := map[Method]bool{}
	for _, part := range strings.Split(s, ",") {
		m, err := ParseMethod(part)
		if err != nil {
			return nil, err
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out, nil
}

// AllMethods lists the methods in the order of the paper's Table 1.
func AllMethods() []Method {
	out := make([]Method, numMethods)
	for i := range out {
		out[i] = Method(i)
	}
	return out
}

// Aligned reports whether the method fine-tunes the generator.
func (m Method) Aligned() bool {
	return m == MethodRawAligned || m == MethodInferenceAligned || m == MethodPOPIFull || m.Latent()
}

// Latent reports whether the method conditions the generator on a learned user
// embedding (LoRe, PAL-A, PAL-B) instead of text; such a method needs its own fine-tuned
// generator and cannot be handed to another one.
func (m Method) Latent() bool { return m == MethodLoRe || m == MethodPALA || m == MethodPALB }

// SummarySource says which summaries a method conditions on.
type SummarySource int

const (
	// NoSummary: the method uses no summary.
	NoSummary SummarySource = iota
	// SummaryBefore: summaries of the unoptimized inference model πφ_ref.
	SummaryBefore
	// SummaryAfter: summaries of the Stage-1 trained πφ.
	SummaryAfter
)

// Condition is what the method's generator is conditioned on, and from which summaries.
func (m Method) Condition() (prompt.Condition, SummarySource) {
	switch m {
	case MethodRawPrompting, MethodRawAligned:
		return prompt.CondSignals, NoSummary
	case MethodInferencePrompting, MethodInferenceAligned:
		return prompt.CondSummary, SummaryBefore
	case MethodPOPIInferenceOnly, MethodPOPIFull:
		return prompt.CondSummary, SummaryAfter
	}
	return prompt.CondPrompt, NoSummary
}

// Summaries holds one preference summary per episode (prompt-independent) or per episode
// target (the prompt-dependent variant of Appendix B).
type Summaries struct {
	PromptDependent bool          `json:"prompt_dependent"`
	PerEpisode      []string      `json:"per_episode,omitempty"`
	PerTarget       [][]string    `json:"per_target,omitempty"`
	Tokens          []int         `json:"tokens,omitempty"` // summary lengths in tokens, per episode (mean over targets when prompt-dependent)
	Meta            SummariesMeta `json:"meta"`
}

// SummariesMeta records how summaries were produced.
type SummariesMeta struct {
	Model       string  `json:"model"`
	Temperature float64 `json:"temperature"`
	Seed        uint64  `json:"seed"`
}

// Get returns the summary for an episode's target (target is ignored when prompt-independent).
func (s *Summaries) Get(ep, target int) (string, error) {
	if s == nil {
		return "", fmt.Errorf("popi: no summaries")
	}
	if s.PromptDependent {
		if ep < 0 || ep >= len(s.PerTarget) || target < 0 || target >= len(s.PerTarget[ep]) {
			return "", fmt.Errorf("popi: no summary for episode %d target %d", ep, target)
		}
		return s.PerTarget[ep][target], nil
	}
	if ep < 0 || ep >= len(s.PerEpisode) {
		return "", fmt.Errorf("popi: no summary for episode %d", ep)
	}
	return s.PerEpisode[ep], nil
}

// Conditioner returns the conditioning function of method m for episodes eps: raw signals,
// or the summaries of the right source.
func Conditioner(m Method, eps []data.Episode, before, after *Summaries) func(ep, target int) (prompt.Conditioning, error) {
	cond, src := m.Condition()
	return func(ep, target int) (prompt.Conditioning, error) {
		switch {
		case cond == prompt.CondSignals:
			return prompt.Conditioning{Cond: prompt.CondSignals, Signals: prompt.EpisodeSignals(&eps[ep])}, nil
		case cond == prompt.CondSummary:
			s := before
			if src == SummaryAfter {
				s = after
			}
			z, err := s.Get(ep, target)
			if err != nil {
				return prompt.Conditioning{}, fmt.Errorf("%v: %w", m, err)
			}
			if strings.TrimSpace(z) == "" {
				// An empty summary states nothing: the generator sees the prompt alone.
				return prompt.Conditioning{Cond: prompt.CondPrompt}, nil
			}
			return prompt.Conditioning{Cond: prompt.CondSummary, Summary: z}, nil
		}
		return prompt.Conditioning{Cond: prompt.CondPrompt}, nil
	}
}
