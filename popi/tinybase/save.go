package tinybase

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi"
)

// Save writes a model and its tokenizer as one Hugging Face directory:
// config.json, generation_config.json, model.safetensors, tokenizer.model (tiktoken
// ranks), tokenizer.json, tokenizer_config.json (with ChatTemplate) and
// special_tokens_map.json, through llama.SaveModelDir: the directory is built beside dir
// and swapped into place, so dir is either the old complete directory or the new complete
// one; extra files (e.g. a README) already in dir are carried over.
func Save(dir string, m *llama.Model, tok *llama.Tokenizer) error {
	if m.Config.Vocab != tok.VocabSize() {
		return fmt.Errorf("popi: save base model: model vocabulary %d != tokenizer vocabulary %d", m.Config.Vocab, tok.VocabSize())
	}
	err := llama.SaveModelDir(dir, m, tok, llama.SaveDirOptions{KeepOther: true, Extra: func(tmp string) error {
		// Replace tokenizer_config.json by one that carries the chat template.
		if err := tok.WriteTokenizerConfig(filepath.Join(tmp, "tokenizer_config.json"), "<|begin_of_text|>", "<|eot_id|>", ChatTemplate); err != nil {
			return fmt.Errorf("tokenizer config: %w", err)
		}
		gen := map[string]any{
			"bos_token_id": m.Config.BOS,
			"eos_token_id": m.Config.EOS,
			"do_sample":    true,
			"temperature":  0.6,
			"top_p":        0.9,
		}
		if err := writeHFJSON(filepath.Join(tmp, "generation_config.json"), gen); err != nil {
			return err
		}
		stm := map[string]any{}
		if bos, ok := specialText(tok, m.Config.BOS); ok {
			stm["bos_token"] = bos
		}
		if _, ok := tok.SpecialID("<|eot_id|>"); ok {
			stm["eos_token"] = "<|eot_id|>"
		}
		if _, ok := tok.SpecialID("<|finetune_right_pad_id|>"); ok {
			stm["pad_token"] = "<|finetune_right_pad_id|>"
		}
		return writeHFJSON(filepath.Join(tmp, "special_tokens_map.json"), stm)
	}})
	if err != nil {
		return fmt.Errorf("popi: save base model: %w", err)
	}
	return nil
}

func specialText(tok *llama.Tokenizer, id int) (string, bool) {
	for s, v := range tok.Specials() {
		if v == id {
			return s, true
		}
	}
	return "", false
}

// writeHFJSON writes v as indented JSON with HTML characters unescaped (special-token
// texts such as "<|eot_id|>" stay readable, as in Hugging Face's files), mode 0644.
func writeHFJSON(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("popi: %s: %w", filepath.Base(path), err)
	}
	return atomicfile.WriteFile(path, b.Bytes(), 0o644)
}

// ChatTemplate is the Jinja form of the chat template the base model is trained
// with (llama.RenderChat: the Llama 3.2 Instruct layout without tool definitions), for
// tokenizer_config.json so that Hugging Face tools render prompts the same way.
const ChatTemplate = `{{- bos_token }}
{%- if messages and messages[0]['role'] == 'system' %}
{%- set system_message = messages[0]['content'] | trim %}
{%- set messages = messages[1:] %}
{%- else %}
{%- set system_message = "" %}
{%- endif %}
{%- if not date_string is defined %}
{%- set date_string = strftime_now("%d %b %Y") %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
{{- "<|start_header_id|>" + message['role'] + "<|end_header_id|>\n\n" + message['content'] | trim + "<|eot_id|>" }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- "<|start_header_id|>assistant<|end_header_id|>\n\n" }}
{%- endif %}
`

// Load loads a directory written by Save (or any HF LLaMA directory
// with a tokenizer.json or tokenizer.model): the model with f32 weights and its tokenizer.
func Load(dir string) (*llama.Model, *llama.Tokenizer, error) {
	return popi.LoadBase(dir, "")
}
