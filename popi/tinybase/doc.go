// Package tinybase is the recipe of popi-go's built-in tiny base model (models/popi-tiny),
// run by cmd/pretrain:
//
//   - pretrain.go: the recipe (Config, DefaultConfig: persona world, corpus, tokenizer,
//     LLaMA-3 architecture, optimization) and Pretrain, AdamW with warm-up and cosine
//     decay on the weighted next-token loss;
//   - corpus.go: the persona-world corpus tokenized through the chat template (prompt
//     tokens weighted PromptWeight, assistant tokens 1), length-bucketed batches, the
//     special tokens of the built-in tokenizer;
//   - save.go: the Hugging Face directory of the model (llama.SaveModelDir plus the chat
//     template, generation config and special-tokens map) and Load;
//   - eval.go: the quality report of a base model on the world's held-out users and topics
//     (answer fit, the log-prob margins the POPI objective rewards, summary quality),
//     measured with popi's ChatEncoder, LocalGenerator and Objective.
//
// It imports popi, popi/prompt, popi/data, popi/world, llama and nn; nothing but cmd/pretrain
// imports it.
package tinybase
