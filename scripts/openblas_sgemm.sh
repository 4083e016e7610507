#!/usr/bin/env bash
# Reference SGEMM: the system's OpenBLAS through CBLAS, on the shapes of BenchmarkSgemm and
# BenchmarkGemv (kernels/bench_test.go), on 1 thread and on every core; median GFLOP/s of the
# repetitions. A small C program, compiled here with the system cc; installs Debian's
# libopenblas-dev when cblas.h or the library is missing (run as root, or install it first).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset so OpenBLAS picks its kernels for this CPU.
# Usage: scripts/openblas_sgemm.sh [repetitions, default 5]
set -euo pipefail
reps=${1:-5}
if ! printf '#include <cblas.h>\nint main(void){return 0;}\n' | cc -x c - -lopenblas -o /dev/null 2>/dev/null; then
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev >/dev/null 2>&1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/sgemm.c" <<'EOF'
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void openblas_set_num_threads(int);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

static float *rnd(size_t n) {
  float *p = malloc(n * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX * 2 - 1;
  return p;
}

int main(int argc, char **argv) {
  int reps = atoi(argv[1]);
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  struct { const char *name; int m, n, k, transB; } shapes[] = {
      {"n=1024", 1024, 1024, 1024, 0},
      {"n=2048", 2048, 2048, 2048, 0},
      {"m=64,k=2048,n=8192 (W [N,K])", 64, 8192, 2048, 1},
      {"gemv k=2048,n=8192 (W [N,K])", 1, 8192, 2048, 1},
  };
  int threads[] = {1, cores};
  for (int s = 0; s < 4; s++) {
    int m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
    float *a = rnd((size_t)m * k), *b = rnd((size_t)k * n), *c = rnd((size_t)m * n);
    printf("SUMMARY openblas %s (GFLOP/s, median of %d):", shapes[s].name, reps);
    for (int t = 0; t < (cores > 1 ? 2 : 1); t++) {
      openblas_set_num_threads(threads[t]);
      double g[64];
      int nr = reps > 64 ? 64 : reps;
      for (int r = -1; r < nr; r++) { /* r = -1: warm-up */
        double t0 = now(), dt;
        int calls = 0;
        do {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, shapes[s].transB ? CblasTrans : CblasNoTrans, m, n, k, 1, a, k, b,
                      shapes[s].transB ? k : n, 0, c, n);
          calls++;
        } while ((dt = now() - t0) < 0.2);
        if (r >= 0) g[r] = 2.0 * m * n * k * calls / dt / 1e9;
      }
      qsort(g, nr, sizeof g[0], cmp);
      printf(" %dt %.1f;", threads[t], g[nr / 2]);
      fflush(stdout);
    }
    printf("\n");
    free(a), free(b), free(c);
  }
  return 0;
}
EOF
cc -O2 "$dir/sgemm.c" -lopenblas -o "$dir/sgemm"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$dir/sgemm" "$reps"
