package prompt

import (
	"fmt"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/world"
)

// ChatExample is one supervised chat example: the rendered prompt and the assistant's target.
type ChatExample struct {
	Kind      string   `json:"kind"`
	Messages  Messages `json:"messages"`
	Assistant string   `json:"assistant"`
}

// RenderWorldCorpus renders a persona-world pretraining corpus with the ELIX-family
// templates, exactly as the models will see them later: summary writing through the
// inference template, answers through the generator templates of set for the condition
// (summary, raw pairs, or the prompt alone).
func RenderWorldCorpus(exs []world.Example, set TemplateSet) ([]ChatExample, error) {
	out := make([]ChatExample, 0, len(exs))
	for i, ex := range exs {
		var m Messages
		var err error
		target := ex.Response
		switch ex.Kind {
		case world.KindSummarize:
			m, err = InferenceMessages(data.FamilyELIX, data.SignalsRaw, RenderPreferencePairs(data.WorldPairs(ex.Signals)))
			target = ex.Summary
		case world.KindAnswerWithSummary:
			m, err = GeneratorMessages(set, data.FamilyELIX, data.SignalsRaw, CondSummary, ex.Prompt, "", ex.Summary)
		case world.KindAnswerWithPairs:
			m, err = GeneratorMessages(set, data.FamilyELIX, data.SignalsRaw, CondSignals, ex.Prompt, RenderPreferencePairs(data.WorldPairs(ex.Signals)), "")
		case world.KindAnswerBase:
			m, err = GeneratorMessages(set, data.FamilyELIX, data.SignalsRaw, CondPrompt, ex.Prompt, "", "")
		default:
			err = fmt.Errorf("unknown kind %v", ex.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("popi: corpus example %d: %w", i, err)
		}
		out = append(out, ChatExample{Kind: ex.Kind.String(), Messages: m, Assistant: target})
	}
	return out, nil
}
