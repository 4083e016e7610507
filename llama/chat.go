package llama

import (
	"strings"
	"time"
	"unicode"
)

// Message is one chat turn. Role is "system", "user", "assistant", or "tool"/"ipython".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatOptions controls RenderChat.
type ChatOptions struct {
	// AddGenerationPrompt appends the header that starts an assistant turn.
	AddGenerationPrompt bool
	// Date fills "Today Date: ..." in the system block, e.g. "26 Jul 2024". Empty means the
	// current UTC date in the same "%d %b %Y" form, as transformers' strftime_now does.
	Date string
	// Plain renders for a base (non-instruct) model instead of the Llama 3.2 Instruct template:
	// BOS, then each message as "Role: content" (a system message as bare content), separated
	// by blank lines; the generation prompt is "Assistant:".
	Plain bool
	// NoBOS leaves out the leading <|begin_of_text|>.
	NoBOS bool
}

const (
	chatBOS   = "<|begin_of_text|>"
	chatStart = "<|start_header_id|>"
	chatEnd   = "<|end_header_id|>"
	chatEOT   = "<|eot_id|>"
)

// chatSeg is a piece of a rendered conversation: template text (may contain special-token
// syntax) or message content (user data).
type chatSeg struct {
	text    string
	content bool
}

// pyStrip trims whitespace the way Python's str.strip() (Jinja's trim filter) does:
// Unicode White_Space plus the separators U+001C..U+001F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) })
}

func renderChatSegs(msgs []Message, o ChatOptions) []chatSeg {
	var segs []chatSeg
	tmpl := func(s string) { segs = append(segs, chatSeg{text: s}) }
	data := func(s string) {
		if s != "" {
			segs = append(segs, chatSeg{text: s, content: true})
		}
	}
	if !o.NoBOS {
		tmpl(chatBOS)
	}
	if o.Plain {
		for i, m := range msgs {
			if i > 0 {
				tmpl("\n\n")
			}
			if m.Role != "system" {
				tmpl(titleRole(m.Role) + ": ")
			}
			data(pyStrip(m.Content))
		}
		if o.AddGenerationPrompt {
			if len(msgs) > 0 {
				tmpl("\n\n")
			}
			tmpl("Assistant:")
		}
		return segs
	}
	date := o.Date
	if date == "" {
		date = time.Now().UTC().Format("02 Jan 2006")
	}
	system := ""
	if len(msgs) > 0 && msgs[0].Role == "system" {
		system = pyStrip(msgs[0].Content)
		msgs = msgs[1:]
	}
	tmpl(chatStart + "system" + chatEnd + "\n\n" + "Cutting Knowledge Date: December 2023\n" + "Today Date: " + date + "\n\n")
	data(system)
	tmpl(chatEOT)
	for _, m := range msgs {
		if m.Role == "tool" || m.Role == "ipython" {
			tmpl(chatStart + "ipython" + chatEnd + "\n\n")
			data(m.Content)
			tmpl(chatEOT)
			continue
		}
		tmpl(chatStart)
		data(m.Role)
		tmpl(chatEnd + "\n\n")
		data(pyStrip(m.Content))
		tmpl(chatEOT)
	}
	if o.AddGenerationPrompt {
		tmpl(chatStart + "assistant" + chatEnd + "\n\n")
	}
	return segs
}

func titleRole(r string) string {
	if r == "" {
		return r
	}
	rs := []rune(r)
	rs[0] = unicode.ToUpper(rs[0])
	return string(rs)
}

// RenderChat renders a conversation with the Llama 3.2 Instruct chat template (without tool
// definitions): BOS, a system block with "Cutting Knowledge Date: December 2023" and
// "Today Date: <date>" followed by the trimmed system message (if the first message has role
// system), then each message as <|start_header_id|>role<|end_header_id|>\n\n + trimmed
// content + <|eot_id|>, and optionally the assistant header. Tool/ipython messages are
// rendered under the ipython header, untrimmed. With opts.Plain it renders for base models.
func RenderChat(msgs []Message, opts ChatOptions) string {
	var b strings.Builder
	for _, s := range renderChatSegs(msgs, opts) {
		b.WriteString(s.text)
	}
	return b.String()
}

// EncodeChat renders and tokenizes a conversation. Template text is encoded with special
// tokens recognised, message contents (and roles) without, so a message that contains the
// text "<|eot_id|>" cannot forge a turn boundary. For ordinary contents the ids equal
// Encode(RenderChat(msgs, opts), true).
func (t *Tokenizer) EncodeChat(msgs []Message, opts ChatOptions) []int {
	var ids []int
	for _, s := range renderChatSegs(msgs, opts) {
		ids = append(ids, t.Encode(s.text, !s.content)...)
	}
	return ids
}
