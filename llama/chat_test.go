package llama

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type chatRecord struct {
	Name                string    `json:"name"`
	Messages            []Message `json:"messages"`
	AddGenerationPrompt bool      `json:"add_generation_prompt"`
	Text                string    `json:"text"`
	IDs                 []int     `json:"ids"`
}

func TestRenderChatGolden(t *testing.T) {
	recs := readJSONL[chatRecord](t, filepath.Join(tinyDir, "tokenizer_golden_special.jsonl"))
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	toks := tinyTokenizers(t)
	for _, r := range recs {
		opts := ChatOptions{AddGenerationPrompt: r.AddGenerationPrompt, Date: "26 Jul 2024"}
		got := RenderChat(r.Messages, opts)
		if got != r.Text {
			t.Fatalf("%s:\n got %q\nwant %q", r.Name, got, r.Text)
		}
		for name, tk := range toks {
			if ids := tk.EncodeChat(r.Messages, opts); !reflect.DeepEqual(ids, r.IDs) {
				t.Fatalf("%s %s: EncodeChat\n got %v\nwant %v", name, r.Name, ids, r.IDs)
			}
			if ids := tk.Encode(got, true); !reflect.DeepEqual(ids, r.IDs) {
				t.Fatalf("%s %s: Encode(rendered)", name, r.Name)
			}
		}
	}
}

func TestRenderChatDetails(t *testing.T) {
	// the template shipped in tokenizer_config.json is the same file we implement
	tmpl, err := os.ReadFile("testdata/chat-templates/llama-3.2-instruct.jinja")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tmpl), "Cutting Knowledge Date: December 2023") {
		t.Fatal("template changed")
	}
	msgs := []Message{{Role: "system", Content: "\x1f sys \u00a0"}, {Role: "user", Content: "\n hi <|eot_id|> \t"}, {Role: "tool", Content: " 42 "}}
	got := RenderChat(msgs, ChatOptions{Date: "01 Jan 2025"})
	want := "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\nsys<|eot_id|>" +
		"<|start_header_id|>user<|end_header_id|>\n\nhi <|eot_id|><|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n 42 <|eot_id|>"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	tk := tinyTokenizers(t)["tiktoken"]
	ids := tk.EncodeChat(msgs, ChatOptions{Date: "01 Jan 2025"})
	n := 0
	for _, id := range ids {
		if id == 383 {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("EncodeChat produced %d eot ids, want 3 (content must not forge one)", n)
	}
	if d := RenderChat(nil, ChatOptions{}); !strings.Contains(d, "Today Date: "+time.Now().UTC().Format("02 Jan 2006")) {
		t.Fatalf("default date: %q", d)
	}
	plain := RenderChat([]Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: " Hi "}}, ChatOptions{Plain: true, AddGenerationPrompt: true})
	if plain != "<|begin_of_text|>Be brief.\n\nUser: Hi\n\nAssistant:" {
		t.Fatalf("plain %q", plain)
	}
	if s := RenderChat([]Message{{Role: "user", Content: "x"}}, ChatOptions{NoBOS: true, Date: "d"}); strings.HasPrefix(s, chatBOS) {
		t.Fatal("NoBOS")
	}
}
