package prompt

import (
	"strings"
	"testing"

	"github.com/popi-go/popi/popi/data"
)

func TestInferenceMessagesGolden(t *testing.T) {
	sig := RenderPreferencePairs([]data.PrefPair{{Prompt: "Why is the sky blue?", Chosen: "Light scatters.", Rejected: "Because."}, {Prompt: "P2", Chosen: "C2", Rejected: "R2"}})
	wantSig := "## Example 1\n### Prompt\nWhy is the sky blue?\n### Preferred Response\nLight scatters.\n### Dispreferred Response\nBecause.\n\n" +
		"## Example 2\n### Prompt\nP2\n### Preferred Response\nC2\n### Dispreferred Response\nR2"
	if sig != wantSig {
		t.Fatalf("pairs:\n%q", sig)
	}
	m, err := InferenceMessages(data.FamilyELIX, data.SignalsRaw, "SIG")
	if err != nil {
		t.Fatal(err)
	}
	want := "# User Preference Examples\nSIG\n\n# Instruction\nYou are an expert at identifying and summarizing user preferences from texts. " +
		"Analyze the examples above, where each consists of a preferred and dispreferred response to the same prompt. " +
		"Based on these comparisons, write a concise and structured summary that captures the user's preferences. " +
		"Your summary should generalize beyond the specific examples and be suitable for guiding the generation of future personalized responses"
	if m.System != "You are a helpful assistant." || m.User != want {
		t.Fatalf("FSPO inference:\n%q", m.User)
	}
	m, _ = InferenceMessages(data.FamilyAlignX, data.SignalsRaw, "SIG")
	if m.User != "# User Information and Historical Behavior\nSIG\n\n# Instruction\nWrite a concise and structured summary of the User Information and Historical Behavior above. Your summary should be suitable for guiding other Large Language Models to write Reddit-style comments that mimic this user." {
		t.Fatalf("AlignX raw inference:\n%q", m.User)
	}
	m, _ = InferenceMessages(data.FamilyAlignX, data.SignalsDirection, "SIG")
	if m.User != "# User Traits\nSIG\n\n# Instruction\nConvert the above User Traits into a usable and concise user summary. This summary should be suitable for guiding other Large Language Models to write Reddit-style comments that mimic this user." {
		t.Fatalf("AlignX direction inference:\n%q", m.User)
	}
	m, _ = InferenceMessagesPromptDependent(data.FamilyReview, "SIG", "PROMPT")
	if !strings.HasSuffix(m.User, "Your summary will be used to guide the generation of personalized responses for the user's upcoming prompt.\n\n# User Upcoming Prompt\nPROMPT") {
		t.Fatalf("prompt-dependent:\n%q", m.User)
	}
	if _, err := InferenceMessages(data.FamilyELIX, data.SignalsRaw, " "); err == nil {
		t.Fatal("empty signals accepted")
	}
	if _, err := InferenceMessagesPromptDependent(data.FamilyAlignX, "s", "p"); err == nil {
		t.Fatal("prompt-dependent AlignX accepted")
	}
}

func TestGeneratorMessagesGolden(t *testing.T) {
	cases := []struct {
		set               TemplateSet
		fam               data.Family
		mode              data.SignalMode
		cond              Condition
		wantSys, wantUser string
	}{
		{TemplatesPaper, data.FamilyELIX, data.SignalsRaw, CondPrompt, "You are a helpful assistant.", "PROMPT"},
		{TemplatesPaper, data.FamilyRoleplay, data.SignalsRaw, CondSummary, "You are a helpful assistant.",
			"# User Preference Summary\nSUM\n\n# Instruction\nGiven the user preference summary above, generate a personalized response to the user prompt below.\n\n# User Prompt\nPROMPT"},
		{TemplatesPaper, data.FamilyReview, data.SignalsRaw, CondSignals, "You are a helpful assistant.",
			"# User Preference Examples\nSIG\n\n# Instruction\nGiven the user preference examples above, generate a personalized response to the user prompt below.\n\n# User Prompt\nPROMPT"},
		{TemplatesPaper, data.FamilyAlignX, data.SignalsRaw, CondPrompt, "You are writing a Reddit-style comment in first person.",
			"# Instruction\nWrite a Reddit-style comment on the post below.\n\n# Post\nPROMPT"},
		{TemplatesPaper, data.FamilyAlignX, data.SignalsRaw, CondSignals, "You are writing a Reddit-style comment in first person that mimics a given user.",
			"# User Information and Historical Behavior\nSIG\n\n# Instruction\nWrite a Reddit-style comment on the post below, mimicking the user described above.\n\n# Post\nPROMPT"},
		{TemplatesPaper, data.FamilyAlignX, data.SignalsDirection, CondSignals, "You are writing a Reddit-style comment in first person that mimics a given user.",
			"# User Traits\nSIG\n\n# Instruction\nWrite a Reddit-style comment on the post below, mimicking the user described above.\n\n# Post\nPROMPT"},
		{TemplatesPaper, data.FamilyAlignX, data.SignalsDirection, CondSummary, "You are writing a Reddit-style comment in first person that mimics a given user.",
			"# User Summary\nSUM\n\n# Instruction\nWrite a Reddit-style comment on the post below, mimicking the user described above.\n\n# Post\nPROMPT"},
		{TemplatesAlternative, data.FamilyELIX, data.SignalsRaw, CondPrompt, "You are a helpful assistant who provides well-considered responses.",
			"[Instruction] Craft a response to the User Prompt.\n\n[User Prompt]\nPROMPT"},
		{TemplatesAlternative, data.FamilyELIX, data.SignalsRaw, CondSignals, "You are a helpful assistant who adapts responses according to user preferences.",
			"[Instruction] Use the User Preference Examples provided below as guidance to craft a personalized response to the User Prompt.\n\n[User Preference Examples]\nSIG\n\n[User Prompt]\nPROMPT"},
		{TemplatesAlternative, data.FamilyELIX, data.SignalsRaw, CondSummary, "You are a helpful assistant who adapts responses according to user preferences.",
			"[Instruction] Use the User Preference Summary provided below as guidance to craft a personalized response to the User Prompt.\n\n[User Preference Summary]\nSUM\n\n[User Prompt]\nPROMPT"},
	}
	for i, c := range cases {
		m, err := GeneratorMessages(c.set, c.fam, c.mode, c.cond, "PROMPT", "SIG", "SUM")
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if m.System != c.wantSys || m.User != c.wantUser {
			t.Fatalf("case %d (%v %v):\nsystem %q\nuser %q", i, c.fam, c.cond, m.System, m.User)
		}
	}
	if _, err := GeneratorMessages(TemplatesAlternative, data.FamilyAlignX, data.SignalsRaw, CondPrompt, "p", "", ""); err == nil {
		t.Fatal("alternative AlignX accepted")
	}
	if _, err := GeneratorMessages(TemplatesPaper, data.FamilyELIX, data.SignalsRaw, CondSummary, "p", "s", ""); err == nil {
		t.Fatal("empty summary accepted")
	}
	// Placeholders inside user content are not expanded a second time.
	m, _ := GeneratorMessages(TemplatesPaper, data.FamilyELIX, data.SignalsRaw, CondSummary, "say {preference_summary}", "", "S")
	if !strings.HasSuffix(m.User, "# User Prompt\nsay {preference_summary}") {
		t.Fatalf("placeholder re-expanded: %q", m.User)
	}
}
