package popi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// Plan is a PipelineConfig parsed, checked and resolved once. RunPipeline and EvaluateRun
// work from it, and a run's config.json is its Config: what ran, not what was asked.
type Plan struct {
	// Config is the configuration as it runs. Resolved on top of what was given: the
	// seeds of Stage 1, Stage 2 and the evaluation are the run's Seed (they always were),
	// Stage1.PromptDependent is PromptDependent, and on AlignX, whose episodes hold one
	// target pair each, Stage1.RewardPairs is 1.
	Config    PipelineConfig
	Family    data.Family
	Mode      data.SignalMode  // AlignX signal setting (SignalsRaw for the FSPO families)
	Split     data.AlignXSplit // AlignX held-out test split
	Templates prompt.TemplateSet
	Pref      rl.PreferenceConfig
	Methods   []Method
	// PerStep is true when training episodes are drawn per step (Episodes "per-step").
	PerStep bool
	// TransferSpecs are the generators the summaries are transferred to.
	TransferSpecs []TransferSpec
	// Notes are the resolutions a run reports in its log.
	Notes []string
}

// NewPlan checks c and resolves it into a Plan; c itself is not changed.
func NewPlan(c PipelineConfig) (*Plan, error) {
	p := &Plan{Config: c}
	var err error
	if p.Family, err = data.ParseFamily(c.Family); err != nil {
		return nil, err
	}
	if p.Pref, err = parseLoss(c.Loss, c.Beta); err != nil {
		return nil, err
	}
	p.Pref.MeanLogProbs = c.LogProbMean
	if _, err := PresetConfig(c.Preset); err != nil {
		return nil, err
	}
	switch c.Episodes {
	case "", EpisodesFixed:
	case EpisodesPerStep:
		p.PerStep = true
	default:
		return nil, fmt.Errorf("popi: unknown episode mode %q (want %s or %s)", c.Episodes, EpisodesFixed, EpisodesPerStep)
	}
	if p.TransferSpecs, err = transferSpecs(&c); err != nil {
		return nil, err
	}
	if err := p.resolveSamples(); err != nil {
		return nil, err
	}
	c = p.Config
	if p.Methods, err = ParseMethods(c.Methods); err != nil {
		return nil, err
	}
	if err := c.Latent.Validate(); err != nil {
		return nil, err
	}
	if p.Templates, err = parseTemplateSet(c.Templates); err != nil {
		return nil, err
	}
	if p.Mode, err = parseSignalMode(c.AlignXSignals); err != nil {
		return nil, err
	}
	p.Split = data.SplitArbitrary
	if c.AlignXSplit != "" {
		if p.Split, err = data.ParseAlignXSplit(c.AlignXSplit); err != nil {
			return nil, err
		}
	}
	if err := c.LoRA.Validate(); err != nil {
		return nil, err
	}
	if err := c.Stage1.Validate(); err != nil {
		return nil, err
	}
	if !c.SkipStage2 {
		if err := c.Stage2.Validate(); err != nil {
			return nil, err
		}
	}
	switch {
	case (!p.PerStep && c.TrainTargets <= 0) || c.EvalTargets <= 0 || c.Stage2Targets < 0:
		return nil, errors.New("popi: train and eval targets must be > 0")
	case c.Shots < 0:
		return nil, fmt.Errorf("popi: negative number of signal pairs %d", c.Shots)
	case c.ModelDir == "":
		return nil, errors.New("popi: no model directory (-model; the paper uses LLaMA-3.2-3B-Instruct for both models)")
	case c.Eval.MaxTokens <= 0:
		return nil, errors.New("popi: eval max tokens must be > 0")
	case p.Family == data.FamilyAlignX && len(c.DataFiles) == 0:
		return nil, errors.New("popi: AlignX needs -data files")
	}
	rc := &p.Config
	rc.Stage1.Seed, rc.Stage2.Seed, rc.Eval.Seed = c.Seed, c.Seed, c.Seed
	rc.Stage1.PromptDependent = c.PromptDependent
	if p.Family == data.FamilyAlignX && rc.Stage1.RewardPairs != 1 {
		p.Notes = append(p.Notes, "AlignX episodes hold one target pair each: Stage-1 rewards use 1 pair")
		rc.Stage1.RewardPairs = 1
	}
	return p, nil
}

// Prompting is how the run renders prompts: its family, signal mode and template set.
func (p *Plan) Prompting() prompt.Prompting {
	return prompt.Prompting{Family: p.Family, Mode: p.Mode, Templates: p.Templates}
}

// Alpha is the Stage-1 KL weight that runs (the paper's default when Stage1.Alpha < 0).
func (p *Plan) Alpha() float64 {
	if p.Config.Stage1.Alpha < 0 {
		return DefaultAlpha(p.Pref.Kind, p.Pref.Beta)
	}
	return p.Config.Stage1.Alpha
}

// Transfers reports whether the run hands its summaries to other generators.
func (p *Plan) Transfers() bool { return len(p.TransferSpecs) > 0 }

// resolveSamples fixes the number of training samples and the steps that depend on it:
// TrainSamples -1 is the paper's count for the family, and Steps 0 (either stage) is one
// pass over the training samples.
func (p *Plan) resolveSamples() error {
	c := &p.Config
	alignX := p.Family == data.FamilyAlignX
	if c.TrainSamples < -1 {
		return fmt.Errorf("popi: bad number of training samples %d", c.TrainSamples)
	}
	if c.TrainSamples != 0 && !p.PerStep {
		return fmt.Errorf("popi: -train-samples applies to per-step episodes (-episodes %s)", EpisodesPerStep)
	}
	if c.TrainSamples == -1 {
		c.TrainSamples = paperTrainSamples(alignX)
		p.Notes = append(p.Notes, fmt.Sprintf("training samples: %d, the paper's count for %v", c.TrainSamples, p.Family))
	}
	for _, st := range []struct {
		name  string
		steps *int
		batch int
		skip  bool
	}{{"stage 1", &c.Stage1.Steps, c.Stage1.BatchSize, false}, {"stage 2", &c.Stage2.Steps, c.Stage2.BatchSize, c.SkipStage2}} {
		if *st.steps != 0 || st.skip {
			continue
		}
		if c.TrainSamples <= 0 || st.batch <= 0 {
			return fmt.Errorf("popi: %s steps 0 means one pass over -train-samples, which is not set; give -steps", st.name)
		}
		*st.steps = (c.TrainSamples + st.batch - 1) / st.batch
		p.Notes = append(p.Notes, fmt.Sprintf("%s: %d steps, one pass over %d samples in batches of %d", st.name, *st.steps, c.TrainSamples, st.batch))
	}
	return nil
}

func parseLoss(loss string, beta float64) (rl.PreferenceConfig, error) {
	var k rl.PreferenceKind
	switch strings.ToLower(loss) {
	case "dpo":
		k = rl.DPOLoss
	case "ipo":
		k = rl.IPOLoss
	default:
		return rl.PreferenceConfig{}, fmt.Errorf("popi: unknown loss %q (want dpo or ipo)", loss)
	}
	pc := rl.PreferenceConfig{Kind: k, Beta: beta}
	return pc, pc.Validate()
}

func parseTemplateSet(s string) (prompt.TemplateSet, error) {
	switch strings.ToLower(s) {
	case "", "paper":
		return prompt.TemplatesPaper, nil
	case "alternative", "alt":
		return prompt.TemplatesAlternative, nil
	}
	return 0, fmt.Errorf("popi: unknown template set %q (want paper or alternative)", s)
}

// parseSignalMode parses the AlignX signal setting.
func parseSignalMode(s string) (data.SignalMode, error) {
	switch strings.ToLower(s) {
	case "", "raw":
		return data.SignalsRaw, nil
	case "direction":
		return data.SignalsDirection, nil
	}
	return 0, fmt.Errorf("popi: unknown AlignX signal setting %q (want raw or direction)", s)
}
