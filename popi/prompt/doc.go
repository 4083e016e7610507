// Package prompt owns how POPI puts things in front of a model:
//
//   - template.go: the paper's prompting templates, verbatim (Figure 7 for the inference
//     model and the generator, Figure 3 for the alternative generator set);
//   - render.go, prompting.go: user signals rendered as text, inference and generator
//     prompts as (system, user) Messages for a Condition (prompt only, raw signals, or a
//     summary), and Prompting, the family, signal mode and template set of a run;
//   - chat.go: ChatEncoder, from Messages to Llama 3.2 chat-template tokens (or the plain
//     template of a base model) and from generated tokens back to a reply, with the fixed
//     chat date DefaultChatDate; Messages.Llama is the one conversion to llama.Message;
//   - corpus.go: a persona-world corpus rendered through the same templates, the text the
//     built-in base model is trained on (package tinybase) and test models are fitted to.
//
// It imports popi/data (families, pairs, episodes), popi/world and llama; packages popi and
// tinybase import it.
package prompt
