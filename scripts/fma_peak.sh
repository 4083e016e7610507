#!/usr/bin/env bash
# The CPU's f32 FMA peak (AVX2 and AVX-512) and, where the CPU has it, the bf16 dot-product
# (VDPBF16PS) peak, on 1 thread and on every core: the compute limit a GEMM micro-kernel is
# measured against (kernels/README.md). A small C program, compiled here with the system cc,
# runs independent FMA chains (enough to cover latency x throughput) on registers only.
# x86-64 only. Usage: scripts/fma_peak.sh [seconds per measurement, default 1]
set -euo pipefail
secs=${1:-1}
if [ "$(uname -m)" != x86_64 ]; then
  echo "fma_peak: x86-64 only (this is $(uname -m))"
  exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/fma_peak.c" <<'EOF'
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double secs;
static volatile float sink;

/* Each loop runs 12 (ymm) or 24 (zmm) independent FMA chains, unrolled so
   that they stay in registers; flops per instruction: 2 * lanes (the bf16
   dot product: 4 * lanes). */
__attribute__((target("avx2,fma"))) static double run_avx2(void) {
  __m256 a[12], x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
  long n = 0;
  double t0 = now(), t;
  do {
    for (int r = 0; r < 1000; r++)
#pragma GCC unroll 24
      for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], x, y);
    n += 1000;
  } while ((t = now()) - t0 < secs);
  __m256 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  sink = _mm256_cvtss_f32(s);
  return n * 12.0 * 16 / (t - t0);
}

__attribute__((target("avx512f"))) static double run_avx512(void) {
  __m512 a[24], x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
  for (int i = 0; i < 24; i++) a[i] = _mm512_set1_ps((float)i);
  long n = 0;
  double t0 = now(), t;
  do {
    for (int r = 0; r < 1000; r++)
#pragma GCC unroll 24
      for (int i = 0; i < 24; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
    n += 1000;
  } while ((t = now()) - t0 < secs);
  __m512 s = a[0];
  for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, a[i]);
  sink = _mm512_reduce_add_ps(s);
  return n * 24.0 * 32 / (t - t0);
}

__attribute__((target("avx512f,avx512bf16"))) static double run_bf16(void) {
  __m512 a[24];
  __m512bh x = (__m512bh)_mm512_set1_epi16(0x3f80), y = (__m512bh)_mm512_set1_epi16(0x3a83);
  for (int i = 0; i < 24; i++) a[i] = _mm512_set1_ps((float)i);
  long n = 0;
  double t0 = now(), t;
  do {
    for (int r = 0; r < 1000; r++)
#pragma GCC unroll 24
      for (int i = 0; i < 24; i++) a[i] = _mm512_dpbf16_ps(a[i], x, y);
    n += 1000;
  } while ((t = now()) - t0 < secs);
  __m512 s = a[0];
  for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, a[i]);
  sink = _mm512_reduce_add_ps(s);
  return n * 24.0 * 64 / (t - t0);
}

typedef double (*kernel)(void);
static void *worker(void *k) {
  double *r = malloc(sizeof *r);
  *r = ((kernel)k)();
  return r;
}

/* Total GFLOP/s of the kernel run on `threads` threads at once. */
static double measure(kernel k, int threads) {
  pthread_t th[256];
  double total = 0;
  for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, worker, (void *)k);
  for (int i = 0; i < threads; i++) {
    void *r;
    pthread_join(th[i], &r);
    total += *(double *)r;
    free(r);
  }
  return total / 1e9;
}

int main(int argc, char **argv) {
  secs = argc > 1 ? atof(argv[1]) : 1;
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (cores > 256) cores = 256;
  struct { const char *name, *feature; kernel k; } ks[] = {
      {"avx2", "avx2", run_avx2}, {"avx512", "avx512f", run_avx512}, {"bf16dot", "avx512bf16", run_bf16}};
  printf("SUMMARY fma_peak (GFLOP/s, %d cores):", cores);
  for (int i = 0; i < 3; i++) {
    int ok = i == 0 ? __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
           : i == 1 ? __builtin_cpu_supports("avx512f")
                    : __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
    if (!ok) {
      printf(" %s n/a;", ks[i].name);
      continue;
    }
    printf(" %s 1t %.1f, %dt %.1f;", ks[i].name, measure(ks[i].k, 1), cores, measure(ks[i].k, cores));
    fflush(stdout);
  }
  printf("\n");
  return 0;
}
EOF
cc -O3 -pthread "$dir/fma_peak.c" -o "$dir/fma_peak"
"$dir/fma_peak" "$secs"
