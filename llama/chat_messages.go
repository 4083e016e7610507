package llama

// PromptMessages is the conversation of a single-turn prompt: a system message, then the
// user message. A system message that is empty or only whitespace is left out: the Llama
// 3.2 template trims the system message (Jinja's trim, pyStrip here) and renders a
// trimmed-empty one exactly as no system message, and leaving it out makes the plain
// template (ChatOptions.Plain) agree.
func PromptMessages(system, user string) []Message {
	if pyStrip(system) == "" {
		return []Message{{Role: "user", Content: user}}
	}
	return []Message{{Role: "system", Content: system}, {Role: "user", Content: user}}
}
