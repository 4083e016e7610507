// Runs llama.cpp on a GGUF over a token file (u32 count, then int32 ids) in one batch with F32
// KV cache and no flash attention, and writes every position's logits (u32 rows, u32 vocab, f32
// values) so scripts/quantacc compares them with popi-go's on the same file.
//   llamacpp_logits BINS model.gguf tokens.bin logits.bin THREADS
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ggml-backend.h"
#include "llama.h"

static void quiet(enum ggml_log_level l, const char *t, void *u) { (void)l; (void)t; (void)u; }

int main(int argc, char **argv) {
	if (argc != 6) return 2;
	FILE *tf = fopen(argv[3], "rb");
	uint32_t n;
	if (!tf || fread(&n, 4, 1, tf) != 1) return 1;
	llama_token *toks = malloc(n * sizeof *toks);
	if (fread(toks, 4, n, tf) != n) return 1;
	fclose(tf);
	llama_log_set(quiet, NULL);
	ggml_backend_load_all_from_path(argv[1]);
	llama_backend_init();
	struct llama_model_params mp = llama_model_default_params();
	mp.n_gpu_layers = 0;
	struct llama_model *model = llama_model_load_from_file(argv[2], mp);
	if (!model) return 1;
	int vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
	struct llama_context_params cp = llama_context_default_params();
	cp.n_ctx = n < 64 ? 64 : n;
	cp.n_batch = cp.n_ubatch = n;
	cp.n_threads = cp.n_threads_batch = atoi(argv[5]);
	cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
	cp.type_k = cp.type_v = GGML_TYPE_F32;
	struct llama_context *ctx = llama_init_from_model(model, cp);
	if (!ctx) return 1;
	struct llama_batch b = llama_batch_init(n, 0, 1);
	for (uint32_t i = 0; i < n; i++) {
		b.token[i] = toks[i];
		b.pos[i] = i;
		b.n_seq_id[i] = 1;
		b.seq_id[i][0] = 0;
		b.logits[i] = 1;
	}
	b.n_tokens = n;
	if (llama_decode(ctx, b)) return 1;
	FILE *of = fopen(argv[4], "wb");
	uint32_t v = vocab;
	fwrite(&n, 4, 1, of);
	fwrite(&v, 4, 1, of);
	for (uint32_t i = 0; i < n; i++) fwrite(llama_get_logits_ith(ctx, i), 4, vocab, of);
	fclose(of);
	llama_batch_free(b);
	llama_free(ctx);
	llama_model_free(model);
	return 0;
}
