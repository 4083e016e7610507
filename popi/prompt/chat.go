package prompt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/popi-go/popi/llama"
)

// DefaultChatDate is the "Today Date" written into the Llama 3.2 system block. It is fixed
// so that prompts, and therefore runs, do not depend on the day they are made.
const DefaultChatDate = "26 Jul 2024"

// ChatEncoder turns rendered (system, user) messages into model tokens through the Llama 3.2
// chat template (or the plain template of a base model) and responses into assistant-turn
// completions ending with the end-of-turn token.
type ChatEncoder struct {
	Tok  *llama.Tokenizer
	Opts llama.ChatOptions
	// End is the token that ends an assistant turn (<|eot_id|>, or the model's EOS in plain mode).
	End int
}

// NewChatEncoder builds an encoder for tok. plain selects the base-model template. The end
// token is <|eot_id|> for the chat template, <|end_of_text|> (or cfg's first EOS) in plain mode.
func NewChatEncoder(tok *llama.Tokenizer, cfg *llama.Config, plain bool) (*ChatEncoder, error) {
	if tok == nil {
		return nil, errors.New("popi: NewChatEncoder: nil tokenizer")
	}
	e := &ChatEncoder{Tok: tok, Opts: llama.ChatOptions{AddGenerationPrompt: true, Date: DefaultChatDate, Plain: plain}}
	name := "<|eot_id|>"
	if plain {
		name = "<|end_of_text|>"
	}
	id, ok := tok.SpecialID(name)
	if !ok && cfg != nil && len(cfg.EOS) > 0 {
		id, ok = cfg.EOS[0], true
	}
	if !ok {
		return nil, fmt.Errorf("popi: tokenizer has no %s token and no EOS is configured", name)
	}
	if cfg != nil && id >= cfg.Vocab {
		return nil, fmt.Errorf("popi: end token %d is outside the model's vocabulary (%d)", id, cfg.Vocab)
	}
	e.End = id
	return e, nil
}

// Prompt tokenizes messages as a conversation ready for the assistant's reply.
func (e *ChatEncoder) Prompt(m Messages) []int {
	return e.Tok.EncodeChat(m.Llama(), e.Opts)
}

// Reply tokenizes an assistant response followed by the end-of-turn token, the completion
// whose log-probability the objective scores.
func (e *ChatEncoder) Reply(text string) []int {
	return append(e.Tok.Encode(strings.TrimSpace(text), false), e.End)
}

// DecodeReply decodes generated tokens up to (excluding) the end token, dropping any other
// special token, and trims surrounding whitespace.
func (e *ChatEncoder) DecodeReply(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id == e.End {
			break
		}
		if e.Tok.IsSpecial(id) {
			continue
		}
		b.Write(e.Tok.Token(id))
	}
	return strings.TrimSpace(strings.ToValidUTF8(b.String(), "\uFFFD"))
}

// CountTokens implements TokenCounter.
func (e *ChatEncoder) CountTokens(text string) int { return len(e.Tok.Encode(text, false)) }
