// Package llama owns everything specific to LLaMA-3 / Llama-3.2 models: reading and writing
// their files, tokenizing text, rendering chats, and running the network.
//
// Files and formats (config*.go, tensorset*.go, safetensors*.go, gguf*.go):
//   - Config: the Hugging Face LlamaForCausalLM config.json (LoadConfig, ParseConfig,
//     WriteConfig), validated, with the llama3 RoPE frequency scaling (Config.RoPEInvFreq
//     computes the inverse frequencies in float32 exactly as transformers does).
//   - TensorSet: a read-only, name-addressed view of weights with HF names and shapes,
//     independent of the storage format. OpenTensors opens a model directory, a
//     .safetensors file, a sharded model.safetensors.index.json, or a llama.cpp .gguf file
//     (GGUF names are mapped to HF names and llama.cpp's Q/K row permutation is undone).
//     Tensors are read on demand, never all at once; their element types are tensor.DType
//     (F32, BF16, F16, and llama.cpp's Q8_0, Q4_0, Q4_K, Q6_K blocks). WriteSafetensors
//     writes the standard layout atomically; WriteGGUF writes a model and its tokenizer as
//     GGUF v3 that llama.cpp loads (Q/K rows permuted back, llama3 scaling as rope_freqs
//     divisors), optionally quantized (QuantMix q8_0, q4_0, q4_k_m: llama.cpp's reference
//     quantizers and Q4_K_M type mix, byte for byte as llama-quantize writes them).
//   - Quantized weights (model_load_quant.go, quant_mix.go): a GGUF's quantized matrices
//     are kept in their stored blocks (Matrix.Q), read into one buffer without conversion
//     (only attn_q/attn_k rows reordered), and multiplied by kernels.QGemm (8-bit
//     activations and integer dot products for decode, dequantized panels for prefill);
//     Model.Quantize and LoadOptions.WeightType q8_0/q4_0/q4_k_m quantize in memory. In
//     training a quantized matrix is a frozen constant of its values.
//     Every file is written through internal/atomicfile.
//   - SaveModelDir (model_dir.go): the one model-directory saver (weights, config,
//     tokenizer files and caller extras, swapped in whole by atomicfile.ReplaceDir), used
//     for final models, training checkpoints and the built-in base model.
//
// Text (tokenizer*.go, bpe*.go, chat*.go):
//   - Tokenizer: LLaMA-3 byte-level BPE, loadable from Meta's tokenizer.model (tiktoken rank
//     BPE), HF tokenizer.json or GGUF metadata (merge-list BPE; both agree on LLaMA-3
//     vocabularies), with the LLaMA-3 pre-tokenizer regex implemented by hand on raw bytes
//     (invalid UTF-8 bytes are kept, each a non-letter character; the contraction
//     alternative is case-insensitive with Unicode folding, so 'ſ counts as 's as in tiktoken
//     and HF tokenizers; the tests check it id for id against tiktoken-go on cl100k_base).
//     Encode optionally recognises special-token texts; Decode returns bytes; StreamDecoder
//     never splits a UTF-8 character. TrainBPE builds small vocabularies with the same
//     conventions, and the Write* methods save them as tokenizer.model, tokenizer.json and
//     tokenizer_config.json; ReadTokenizerConfig reads the chat template and EOS text back.
//     SyntheticTokenizer builds an untrained byte-level vocabulary of any size for random
//     benchmark models.
//   - RenderChat / Tokenizer.EncodeChat: the Llama 3.2 Instruct chat template (contents
//     trimmed like Jinja's trim, i.e. Python str.strip), and a plain mode for base models;
//     PromptMessages turns a (system, user) prompt into messages, a blank system message
//     left out as the template renders it.
//
// Model (model*.go, forward*.go, kvcache*.go, generate*.go, sample*.go, score*.go, train*.go):
// the transformer itself with HF semantics (RMSNorm, GQA attention with rotate_half RoPE,
// SwiGLU MLP, tied or untied lm_head), KV-cached inference, generation, sequence scoring
// and training, built on packages tensor and nn. Scoring computes logits in row chunks
// (at most 128 MB at once, same values); training losses use nn's fused, chunked
// lm_head + log-softmax for large logit matrices; Trainable checkpoints each decoder block
// (recomputed in backward) by default from AutoCheckpointParams (100M) parameters.
//
// LoRA adapters (adapter*.go), as Hugging Face PEFT defines them: an Adapter holds rank-r
// matrices A [r, in] and B [out, r] for any of the q/k/v/o/gate/up/down projections of
// any layers (scale lora_alpha/r, optional input dropout, B = 0 and kaiming-uniform A at
// NewAdapter). Model.WithAdapter(a) is a cheap view of one base model's weights (nothing
// copied) running a; views with different adapters (or none) share one base, and every
// *Model API works on them: Runner inference (each adapted projection adds two thin GEMMs
// to its fused base GEMM), Score, Generate, and Trainable, where a view's base weights,
// f32 included, are frozen constants and Params are only the adapters' A and B (sharing
// their storage, so optimizer steps reach inference at once). A view without adapter, or
// with B = 0, computes the base model's logits bit for bit. Adapter.Save / LoadAdapter /
// ParseAdapter read and write PEFT's adapter_config.json and adapter_model.safetensors
// (validated, clear errors); Model.Merge and LoadMerged fold an adapter into the weights
// (f32 arithmetic, one rounding per weight for a 16-bit base) for export. Large weight buffers are advised to use
// transparent huge pages on Linux (weights_alloc.go; POPI_HUGEPAGES=0 turns it off).
package llama
