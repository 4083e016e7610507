// Quantizes a GGUF with llama.cpp's own quantizer (llama_model_quantize, no importance matrix)
// and dumps, for every 2-D tensor of the result, the first two rows as llama.cpp's reference
// dequantizer (ggml type traits to_float) gives them. Usage:
//   llamacpp_quantize in.gguf out.gguf FTYPE deq.bin
// deq.bin: per tensor, u32 name length, name, u32 count, count f32.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"
#include "gguf.h"
#include "llama.h"

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: %s in.gguf out.gguf FTYPE deq.bin\n", argv[0]);
		return 2;
	}
	llama_backend_init();
	llama_model_quantize_params p = llama_model_quantize_default_params();
	p.ftype = (enum llama_ftype)atoi(argv[3]);
	p.nthread = 1;
	if (llama_model_quantize(argv[1], argv[2], &p) != 0) {
		fprintf(stderr, "llama_model_quantize failed\n");
		return 1;
	}
	struct ggml_context *ctx = NULL;
	struct gguf_init_params gp = {.no_alloc = false, .ctx = &ctx};
	struct gguf_context *g = gguf_init_from_file(argv[2], gp);
	if (!g) return 1;
	FILE *f = fopen(argv[4], "wb");
	for (struct ggml_tensor *t = ggml_get_first_tensor(ctx); t; t = ggml_get_next_tensor(ctx, t)) {
		if (ggml_n_dims(t) != 2) continue;
		int64_t n = 2 * t->ne[0];
		float *out = malloc(n * sizeof(float));
		const struct ggml_type_traits *tr = ggml_get_type_traits(t->type);
		if (t->type == GGML_TYPE_F32) memcpy(out, t->data, n * sizeof(float));
		else tr->to_float(t->data, out, n);
		uint32_t len = strlen(t->name), cnt = n;
		fwrite(&len, 4, 1, f);
		fwrite(t->name, 1, len, f);
		fwrite(&cnt, 4, 1, f);
		fwrite(out, 4, n, f);
		printf("%s %s [%lld %lld]\n", t->name, ggml_type_name(t->type), (long long)t->ne[0], (long long)t->ne[1]);
		free(out);
	}
	fclose(f);
	gguf_free(g);
	ggml_free(ctx);
	return 0;
}
