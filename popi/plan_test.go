package popi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// NewPlan parses every string of the configuration once and resolves what the run will use,
// leaving the given configuration as it was.
func TestNewPlan(t *testing.T) {
	c := DefaultPipelineConfig()
	c.Seed, c.Loss, c.Beta, c.Templates, c.Methods = 7, "IPO", 0.05, "alt", "popi-full, Base-Model"
	c.Stage1.Alpha = -1
	c.PromptDependent = true
	given := c
	p, err := NewPlan(c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, given) {
		t.Fatal("NewPlan changed its argument")
	}
	if p.Family != data.FamilyELIX || p.Mode != data.SignalsRaw || p.Split != data.SplitArbitrary || p.Templates != prompt.TemplatesAlternative ||
		p.Pref != (rl.PreferenceConfig{Kind: rl.IPOLoss, Beta: 0.05}) || !reflect.DeepEqual(p.Methods, []Method{MethodPOPIFull, MethodBase}) {
		t.Fatalf("plan %+v", p)
	}
	if p.Prompting() != (prompt.Prompting{Family: data.FamilyELIX, Mode: data.SignalsRaw, Templates: prompt.TemplatesAlternative}) {
		t.Fatalf("prompting %+v", p.Prompting())
	}
	if p.Alpha() != DefaultAlpha(rl.IPOLoss, 0.05) {
		t.Fatalf("alpha %v", p.Alpha())
	}
	r := p.Config
	if r.Stage1.Seed != 7 || r.Stage2.Seed != 7 || r.Eval.Seed != 7 || !r.Stage1.PromptDependent || r.Stage1.RewardPairs != c.Stage1.RewardPairs || len(p.Notes) != 0 {
		t.Fatalf("resolved config %+v, notes %v", r, p.Notes)
	}
	if p.Transfers() {
		t.Fatal("transfer without targets")
	}
	// Resolving is idempotent: a resumed run plans what its config.json says.
	again, err := NewPlan(p.Config)
	if err != nil || !reflect.DeepEqual(again.Config, p.Config) {
		t.Fatalf("second resolution: %+v %v", again, err)
	}

	ax := DefaultPipelineConfig()
	ax.Family, ax.AlignXSignals, ax.AlignXSplit, ax.DataFiles = "alignx", "direction", "ugc", []string{"x.jsonl"}
	p, err = NewPlan(ax)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != data.SignalsDirection || p.Split != data.SplitUGC || p.Config.Stage1.RewardPairs != 1 || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "1 pair") {
		t.Fatalf("AlignX plan %+v", p)
	}
	ax.DataFiles = nil
	if _, err := NewPlan(ax); err == nil || !strings.Contains(err.Error(), "AlignX needs -data") {
		t.Fatalf("AlignX without data: %v", err)
	}
	for name, mut := range map[string]func(c *PipelineConfig){
		"split":   func(c *PipelineConfig) { c.AlignXSplit = "forum" },
		"targets": func(c *PipelineConfig) { c.EvalTargets = 0 },
		"model":   func(c *PipelineConfig) { c.ModelDir = "" },
		"eval":    func(c *PipelineConfig) { c.Eval.MaxTokens = 0 },
		"reward":  func(c *PipelineConfig) { c.Stage1.RewardPairs = 0 },
	} {
		c := DefaultPipelineConfig()
		mut(&c)
		if _, err := NewPlan(c); err == nil {
			t.Errorf("%s: invalid config accepted", name)
		}
	}
	// Stage 2's settings are not checked when it is skipped.
	c = DefaultPipelineConfig()
	c.Stage2.Steps, c.SkipStage2 = 0, true
	if _, err := NewPlan(c); err != nil {
		t.Fatalf("skipped Stage 2: %v", err)
	}
}
