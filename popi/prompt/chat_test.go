package prompt

import (
	"reflect"
	"strings"
	"testing"

	"github.com/popi-go/popi/llama"
)

func testTokenizer(t *testing.T) (*llama.Tokenizer, *llama.Config) {
	t.Helper()
	texts := [][]byte{[]byte(strings.Repeat("You are a helpful assistant. Why is the sky blue? The user likes short answers. ", 4))}
	tok, err := llama.TrainBPE(texts, 300, []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"})
	if err != nil {
		t.Fatal(err)
	}
	return tok, &llama.Config{Vocab: tok.VocabSize()}
}

// A whitespace-only system message is no system message (Messages.Llama leaves it out),
// which is how the Llama 3.2 template of Hugging Face renders it: the prompt's tokens are
// those of the full message list given to the template. In the plain template it adds
// nothing either.
func TestChatEncoderBlankSystem(t *testing.T) {
	tok, cfg := testTokenizer(t)
	for _, plain := range []bool{false, true} {
		enc, err := NewChatEncoder(tok, cfg, plain)
		if err != nil {
			t.Fatal(err)
		}
		none := enc.Prompt(Messages{User: "Why is the sky blue?"})
		blank := enc.Prompt(Messages{System: " \n\t", User: "Why is the sky blue?"})
		if !reflect.DeepEqual(blank, none) {
			t.Fatalf("plain %v: blank system message changes the prompt:\n%v\n%v", plain, blank, none)
		}
		if !plain {
			full := tok.EncodeChat([]llama.Message{{Role: "system", Content: " \n\t"}, {Role: "user", Content: "Why is the sky blue?"}}, enc.Opts)
			if !reflect.DeepEqual(blank, full) {
				t.Fatalf("differs from the template given the full list:\n%v\n%v", blank, full)
			}
		}
		with := enc.Prompt(Messages{System: SystemHelpful, User: "Why is the sky blue?"})
		if reflect.DeepEqual(with, none) {
			t.Fatalf("plain %v: a system message was dropped", plain)
		}
	}
	if got := (Messages{System: " ", User: "u"}).Llama(); len(got) != 1 || got[0].Role != "user" {
		t.Fatalf("Llama() = %+v", got)
	}
	if got := (Messages{System: "s", User: "u"}).Llama(); !reflect.DeepEqual(got, []llama.Message{{Role: "system", Content: "s"}, {Role: "user", Content: "u"}}) {
		t.Fatalf("Llama() = %+v", got)
	}
}
