#!/usr/bin/env bash
# Memory bandwidth on 1 thread and on every core: read (sum of an array), copy and triad
# (a = b + s*c) over arrays far larger than the caches, best of the repetitions, in GB/s
# counted as bytes the loop reads and writes. The limit for GEMV and LLM decode, which stream
# the weights once per token (kernels/README.md). A small C program, compiled here with the
# system cc. Usage: scripts/stream.sh [MiB per array, default 256] [repetitions, default 5]
set -euo pipefail
mib=${1:-256}
reps=${2:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/stream.c" <<'EOF'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static float *a, *b, *c;
static size_t n;
static int nthreads;
static volatile float sink;
typedef float v8 __attribute__((vector_size(32)));

enum { READ, COPY, TRIAD };
typedef struct { int op, id; pthread_barrier_t *bar; double secs; } job;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void *run(void *p) {
  job *j = p;
  size_t lo = n * j->id / nthreads, hi = n * (j->id + 1) / nthreads;
  pthread_barrier_wait(j->bar);
  double t0 = now();
  if (j->op == READ) { /* four 8-float vector sums (no -ffast-math needed) */
    v8 s[4] = {{0}};
    size_t i = lo;
    for (; i + 32 <= hi; i += 32)
      for (int q = 0; q < 4; q++) {
        v8 x;
        __builtin_memcpy(&x, b + i + 8 * q, sizeof x);
        s[q] += x;
      }
    float t = 0;
    for (; i < hi; i++) t += b[i];
    for (int q = 0; q < 4; q++)
      for (int l = 0; l < 8; l++) t += s[q][l];
    sink = t;
  } else if (j->op == COPY) {
    for (size_t i = lo; i < hi; i++) a[i] = b[i];
  } else {
    for (size_t i = lo; i < hi; i++) a[i] = b[i] + 3.0f * c[i];
  }
  j->secs = now() - t0;
  return NULL;
}

/* Best GB/s of reps passes of op on `threads` threads (each on its own
   slice; a pass lasts as long as its slowest thread). */
static double measure(int op, int threads, int reps) {
  static const int bytes[] = {4, 8, 12};
  double best = 0;
  nthreads = threads;
  for (int r = 0; r < reps; r++) {
    pthread_t th[256];
    job js[256];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, threads);
    for (int i = 0; i < threads; i++) {
      js[i] = (job){op, i, &bar, 0};
      pthread_create(&th[i], NULL, run, &js[i]);
    }
    double slowest = 0;
    for (int i = 0; i < threads; i++) {
      pthread_join(th[i], NULL);
      if (js[i].secs > slowest) slowest = js[i].secs;
    }
    pthread_barrier_destroy(&bar);
    double gbs = (double)bytes[op] * n / slowest / 1e9;
    if (gbs > best) best = gbs;
  }
  return best;
}

int main(int argc, char **argv) {
  n = (size_t)atol(argv[1]) << 20 >> 2;
  int reps = atoi(argv[2]);
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (cores > 256) cores = 256;
  a = aligned_alloc(64, n * 4), b = aligned_alloc(64, n * 4), c = aligned_alloc(64, n * 4);
  for (size_t i = 0; i < n; i++) a[i] = 0, b[i] = (float)(i & 1023), c[i] = 1;
  static const char *names[] = {"read", "copy", "triad"};
  int ts[] = {1, cores};
  printf("SUMMARY stream (GB/s, %zu MiB per array, best of %d):", n >> 18, reps);
  for (int t = 0; t < (cores > 1 ? 2 : 1); t++) {
    for (int op = READ; op <= TRIAD; op++) printf(" %s %dt %.1f;", names[op], ts[t], measure(op, ts[t], reps));
    fflush(stdout);
  }
  printf("\n");
  return 0;
}
EOF
cc -O3 -march=native -pthread "$dir/stream.c" -o "$dir/stream"
"$dir/stream" "$mib" "$reps"
