// llama.cpp timing without the JavaScript layer: the same measurements as llamacpp_bench.mjs
// (prefill into an empty cache in one batch, last-position logits + argmax; greedy decode steps
// after a 16-token prompt), calling the prebuilt libllama of node-llama-cpp directly, the way
// llama-bench drives llama_decode. Built by llamacpp_bench.sh against the llama.h of the same
// release (from the git bundle node-llama-cpp ships).
//
//   llamacpp_bench_c BACKEND_DIR MODEL.gguf LABEL THREADS PREFILL[,PREFILL] DECODE REPS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "ggml-backend.h"
#include "llama.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR || strstr(text, "load_backend")) fputs(text, stderr);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Paired runs (PAIR_IN / PAIR_OUT name two FIFOs): every timed decode rep waits for a byte on
// PAIR_IN and passes one to PAIR_OUT when done, so two runners, this one and popi-go's
// scripts/pairdecode, take turns rep by rep on the same machine state (the memory bandwidth of
// this VM drifts within minutes). Unset: no waiting.
static int pair_in = -1, pair_out = -1;

static void pair_open(void) {
    const char *in = getenv("PAIR_IN"), *out = getenv("PAIR_OUT");
    if (!in || !out) return;
    pair_in = open(in, O_RDWR);
    pair_out = open(out, O_RDWR);
    if (pair_in < 0 || pair_out < 0) {
        fprintf(stderr, "cannot open PAIR_IN/PAIR_OUT\n");
        exit(1);
    }
}

static void pair_wait(void) {
    char c;
    if (pair_in >= 0 && read(pair_in, &c, 1) != 1) exit(1);
}

static void pair_pass(void) {
    if (pair_out >= 0 && write(pair_out, "x", 1) != 1) exit(1);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int argmax_last(struct llama_context *ctx, int n_vocab) {
    const float *l = llama_get_logits_ith(ctx, -1);
    int best = 0;
    for (int i = 1; i < n_vocab; i++)
        if (l[i] > l[best]) best = i;
    return best;
}

// cpu_variant prints the libggml-cpu-*.so mapped into this process.
static void cpu_variant(char *out, size_t n) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    out[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *p = strstr(line, "libggml-cpu");
        if (p) {
            p[strcspn(p, "\n")] = 0;
            snprintf(out, n, "%s", p);
            break;
        }
    }
    if (f) fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s BACKEND_DIR MODEL LABEL THREADS PREFILLS DECODE REPS\n", argv[0]);
        return 2;
    }
    const char *label = argv[3];
    int threads = atoi(argv[4]), n_decode = atoi(argv[6]), reps = atoi(argv[7]);
    if (threads < 1 || n_decode < 0 || reps < 1) {
        fprintf(stderr, "bad THREADS, DECODE or REPS\n");
        return 2;
    }
    int prefills[8], n_prefills = 0, max_prefill = 16;
    for (char *s = strtok(argv[5], ","); s && n_prefills < 8; s = strtok(NULL, ",")) {
        prefills[n_prefills] = atoi(s);
        if (prefills[n_prefills] > max_prefill) max_prefill = prefills[n_prefills];
        n_prefills++;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); // line by line, also into a file (pair_decode waits on it)
    pair_open();
    llama_log_set(quiet_log, NULL);
    ggml_backend_load_all_from_path(argv[1]);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.load_mode = LLAMA_LOAD_MODE_NONE; // read the weights into memory (no mmap)
    double t0 = now();
    struct llama_model *model = llama_model_load_from_file(argv[2], mp);
    if (!model) {
        fprintf(stderr, "cannot load %s\n", argv[2]);
        return 1;
    }
    int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 1024;
    cp.n_batch = cp.n_ubatch = max_prefill;
    cp.n_threads = cp.n_threads_batch = threads;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "cannot create a context\n");
        return 1;
    }
    char variant[512];
    cpu_variant(variant, sizeof variant);
    if (!strstr(variant, "zen4")) printf("WARNING: libggml-cpu-zen4.so is not the CPU variant in use\n");
    printf("C: loaded in %.1fs, vocab %d, threads %d, n_ctx %u, batch %d, KV cache F16, flash attention off\nCPU variant loaded: %s\n",
           now() - t0, n_vocab, threads, llama_n_ctx(ctx), max_prefill, variant);
    if (pair_in >= 0) n_prefills = 0; // paired runs time decode only
    int *toks = malloc(sizeof(int) * (max_prefill + 1));
    for (int i = 0; i <= max_prefill; i++) toks[i] = (i * 7919 + 11) % 8000;
    double *times = malloc(sizeof(double) * reps);
    for (int k = 0; k < n_prefills; k++) {
        int n = prefills[k];
        printf("C prefill %d:", n);
        for (int r = 0; r <= reps; r++) {
            llama_memory_clear(llama_get_memory(ctx), 1);
            double a = now();
            if (llama_decode(ctx, llama_batch_get_one(toks, n))) {
                fprintf(stderr, "llama_decode failed\n");
                return 1;
            }
            argmax_last(ctx, n_vocab);
            double dt = now() - a;
            if (r > 0) {
                times[r - 1] = dt;
                printf(" %.1f", n / dt);
            }
        }
        double med = median(times, reps);
        printf(" tok/s\nSUMMARY llama.cpp(C) %s prefill %d threads %d: %.1f tok/s (median of %d, %.0f ms, %s)\n", label, n,
               threads, n / med, reps, med * 1000, variant);
    }
    if (n_decode > 0) {
        printf("C decode %d:", n_decode);
        for (int r = 0; r <= reps; r++) {
            pair_wait();
            llama_memory_clear(llama_get_memory(ctx), 1);
            if (llama_decode(ctx, llama_batch_get_one(toks, 16))) return 1;
            int tok = toks[16];
            double a = now();
            for (int i = 0; i < n_decode; i++) {
                if (llama_decode(ctx, llama_batch_get_one(&tok, 1))) {
                    fprintf(stderr, "llama_decode failed\n");
                    return 1;
                }
                tok = argmax_last(ctx, n_vocab);
            }
            double dt = now() - a;
            pair_pass();
            if (r > 0) {
                times[r - 1] = dt;
                printf(" %.2f", n_decode / dt);
                fflush(stdout);
            }
        }
        double med = median(times, reps);
        printf(" tok/s\nSUMMARY llama.cpp(C) %s decode %d threads %d: %.2f tok/s (median of %d, %s)\n", label, n_decode,
               threads, n_decode / med, reps, variant);
    }
    fflush(stdout);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
