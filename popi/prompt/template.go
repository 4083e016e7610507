package prompt

// Prompting templates. The strings below are the paper's templates (Figure 7 for both
// models, Figure 3 for the alternative generator set) and are the specification: change
// none of them. The paper prints them as table cells, so their line structure is not
// visible there; here every "# Heading" (or "[Heading]") starts a section, followed by a
// newline, and sections are separated by one blank line. Placeholders are filled by the
// render functions in template_render.go.

// Placeholders.
const (
	phUserSignals = "{user_signals}"
	phUserPrompt  = "{user_prompt}"
	phSummary     = "{preference_summary}"
)

// System prompts.
const (
	SystemHelpful        = "You are a helpful assistant."
	SystemRedditComment  = "You are writing a Reddit-style comment in first person."
	SystemRedditMimic    = "You are writing a Reddit-style comment in first person that mimics a given user."
	SystemAltPromptOnly  = "You are a helpful assistant who provides well-considered responses."
	SystemAltPersonalize = "You are a helpful assistant who adapts responses according to user preferences."
)

// Inference-model user templates (Figure 7, left).
const (
	// InferAlignXRawTemplate: AlignX with the original user signals.
	InferAlignXRawTemplate = "# User Information and Historical Behavior\n{user_signals}\n\n" +
		"# Instruction\nWrite a concise and structured summary of the User Information and Historical Behavior above. " +
		"Your summary should be suitable for guiding other Large Language Models to write Reddit-style comments that mimic this user."

	// InferAlignXDirectionTemplate: AlignX with the extracted preference direction.
	InferAlignXDirectionTemplate = "# User Traits\n{user_signals}\n\n" +
		"# Instruction\nConvert the above User Traits into a usable and concise user summary. " +
		"This summary should be suitable for guiding other Large Language Models to write Reddit-style comments that mimic this user."

	// InferFSPOTemplate: ELIX, Review and Roleplay (the paper's cell has no final period).
	InferFSPOTemplate = "# User Preference Examples\n{user_signals}\n\n" +
		"# Instruction\nYou are an expert at identifying and summarizing user preferences from texts. " +
		"Analyze the examples above, where each consists of a preferred and dispreferred response to the same prompt. " +
		"Based on these comparisons, write a concise and structured summary that captures the user's preferences. " +
		"Your summary should generalize beyond the specific examples and be suitable for guiding the generation of future personalized responses"

	// InferFSPOPromptDependentTemplate: the prompt-dependent ablation (user signals and the
	// upcoming user prompt) for ELIX, Review and Roleplay.
	InferFSPOPromptDependentTemplate = "# User Preference Examples\n{user_signals}\n\n" +
		"# Instruction\nYou are an expert at identifying and summarizing user preferences from texts. " +
		"Analyze the examples above, where each consists of a preferred and dispreferred response to the same prompt. " +
		"Based on these comparisons, write a concise and structured summary that captures the user's preferences. " +
		"Your summary will be used to guide the generation of personalized responses for the user's upcoming prompt.\n\n" +
		"# User Upcoming Prompt\n{user_prompt}"
)

// Generator user templates (Figure 7, right).
const (
	GenAlignXPromptTemplate = "# Instruction\nWrite a Reddit-style comment on the post below.\n\n# Post\n{user_prompt}"

	GenAlignXRawSignalsTemplate = "# User Information and Historical Behavior\n{user_signals}\n\n" +
		"# Instruction\nWrite a Reddit-style comment on the post below, mimicking the user described above.\n\n# Post\n{user_prompt}"

	GenAlignXDirectionSignalsTemplate = "# User Traits\n{user_signals}\n\n" +
		"# Instruction\nWrite a Reddit-style comment on the post below, mimicking the user described above.\n\n# Post\n{user_prompt}"

	GenAlignXSummaryTemplate = "# User Summary\n{preference_summary}\n\n" +
		"# Instruction\nWrite a Reddit-style comment on the post below, mimicking the user described above.\n\n# Post\n{user_prompt}"

	GenFSPOPromptTemplate = "{user_prompt}"

	// GenFSPOSignalsTemplate: the paper's cell for raw signals is cut after its first
	// section in our copy of the paper; the instruction and prompt sections are completed
	// by analogy with GenFSPOSummaryTemplate (same wording with "examples" for "summary").
	GenFSPOSignalsTemplate = "# User Preference Examples\n{user_signals}\n\n" +
		"# Instruction\nGiven the user preference examples above, generate a personalized response to the user prompt below.\n\n" +
		"# User Prompt\n{user_prompt}"

	GenFSPOSummaryTemplate = "# User Preference Summary\n{preference_summary}\n\n" +
		"# Instruction\nGiven the user preference summary above, generate a personalized response to the user prompt below.\n\n" +
		"# User Prompt\n{user_prompt}"
)

// Alternative generator user templates (Figure 3; ELIX, Review and Roleplay only).
const (
	GenAltPromptTemplate = "[Instruction] Craft a response to the User Prompt.\n\n[User Prompt]\n{user_prompt}"

	GenAltSignalsTemplate = "[Instruction] Use the User Preference Examples provided below as guidance to craft a personalized response to the User Prompt.\n\n" +
		"[User Preference Examples]\n{user_signals}\n\n[User Prompt]\n{user_prompt}"

	GenAltSummaryTemplate = "[Instruction] Use the User Preference Summary provided below as guidance to craft a personalized response to the User Prompt.\n\n" +
		"[User Preference Summary]\n{preference_summary}\n\n[User Prompt]\n{user_prompt}"
)
