package llama

import (
	"reflect"
	"testing"
)

// A whitespace-only system message renders as no system message, as the Llama 3.2
// template of Hugging Face renders it. The wanted texts were rendered by jinja2 3.1.6 from
// testdata/chat-templates/llama-3.2-instruct.jinja with the full message list (system
// message included), add_generation_prompt and date_string "26 Jul 2024".
func TestPromptMessagesMatchesHFTemplate(t *testing.T) {
	const noSystem = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n" +
		"Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>" +
		"<|start_header_id|>assistant<|end_header_id|>\n\n"
	const brief = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n" +
		"Today Date: 26 Jul 2024\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>" +
		"<|start_header_id|>assistant<|end_header_id|>\n\n"
	opts := ChatOptions{AddGenerationPrompt: true, Date: "26 Jul 2024"}
	tk := tinyTokenizers(t)["tiktoken"]
	for _, tc := range []struct {
		system, want string
		n            int // messages PromptMessages returns
	}{
		{"", noSystem, 1},
		{" \n\t", noSystem, 1},
		{"\x1f \u00a0", noSystem, 1}, // Python's str.strip removes U+001F and U+00A0 too
		{"Be brief.", brief, 2},
	} {
		msgs := PromptMessages(tc.system, "Hi there")
		if len(msgs) != tc.n || msgs[len(msgs)-1] != (Message{Role: "user", Content: "Hi there"}) {
			t.Fatalf("system %q: messages %+v", tc.system, msgs)
		}
		if got := RenderChat(msgs, opts); got != tc.want {
			t.Fatalf("system %q:\n got %q\nwant %q", tc.system, got, tc.want)
		}
		// The same ids as the full list (what HF's apply_chat_template is given).
		full := []Message{{Role: "system", Content: tc.system}, {Role: "user", Content: "Hi there"}}
		if a, b := tk.EncodeChat(msgs, opts), tk.EncodeChat(full, opts); !reflect.DeepEqual(a, b) {
			t.Fatalf("system %q: ids differ from the full message list:\n%v\n%v", tc.system, a, b)
		}
	}
	// The plain template agrees: a blank system message is no system message.
	plain := ChatOptions{Plain: true, AddGenerationPrompt: true}
	if a, b := RenderChat(PromptMessages(" \n", "Hi"), plain), RenderChat([]Message{{Role: "user", Content: "Hi"}}, plain); a != b || a != "<|begin_of_text|>User: Hi\n\nAssistant:" {
		t.Fatalf("plain: %q vs %q", a, b)
	}
}
