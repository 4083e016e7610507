#!/usr/bin/env bash
# llama.cpp on this machine, on exactly the random-weight models of llama's BenchmarkDecode /
# BenchmarkPrefill (written as GGUF by cmd/export), so the two can be compared in one run.
# llama.cpp comes prebuilt from npm (node-llama-cpp; its CPU backends include an AMD Zen 4
# variant, which the log shows is the one loaded). Usage:
#
#   scripts/llamacpp_bench.sh [shape] [dtypes] [threads] [reps]
#       shape 1b (default) or 30m; dtypes "bf16 f32" (default); threads "1 2" (default); reps 3
#
# First proves the export and llama.cpp agree: the tiny golden model (tied and untied) written by
# cmd/export must greedy-decode to the ids of testdata greedy.json in llama.cpp (F32 KV cache).
# Then per dtype and thread count: prefill of 128 and 512 tokens (one batch, empty cache) and 64
# greedy decode steps; one SUMMARY line each (median of reps after a warm-up). KV cache: F16
# (llama.cpp's default, as llama-bench), flash attention off, weights loaded without mmap.
# Environment: NODE_LLAMA_CPP_DIR (install dir, default ~/.cache/popi-llamacpp),
# LLAMACPP_GGUF_DIR (where the GGUFs go, default /tmp/popi-llamacpp).
# LLAMACPP_RUNNER: c (default) times llama_decode from a small C program (llamacpp_bench.c, built
# with gcc against the same prebuilt libllama and the llama.h of its release, from the git bundle
# node-llama-cpp ships), as llama-bench does; node times through node-llama-cpp's JavaScript API
# (adds ~1-2 ms per decode step); both runs both.
# pair: decode only, llama.cpp's C runner and popi-go (scripts/pairdecode) alternating rep by
# rep, so drifts in the memory bandwidth this VM gets hit both alike (decode is bandwidth bound).
# Run it under the heavy-job lock: flock /tmp/popi-heavy.lock scripts/llamacpp_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-1b}
dtypes=${2:-bf16 f32}
threads=${3:-1 2}
reps=${4:-3}
nlc_version=3.22.1
export NODE_LLAMA_CPP_DIR=${NODE_LLAMA_CPP_DIR:-$HOME/.cache/popi-llamacpp}
gguf_dir=${LLAMACPP_GGUF_DIR:-/tmp/popi-llamacpp}
golden=llama/testdata/golden_tiny
mkdir -p "$gguf_dir"

if ! [ -f "$NODE_LLAMA_CPP_DIR/node_modules/node-llama-cpp/package.json" ] ||
  ! grep -q "\"version\": \"$nlc_version\"" "$NODE_LLAMA_CPP_DIR/node_modules/node-llama-cpp/package.json"; then
  echo "installing node-llama-cpp@$nlc_version into $NODE_LLAMA_CPP_DIR"
  mkdir -p "$NODE_LLAMA_CPP_DIR"
  [ -f "$NODE_LLAMA_CPP_DIR/package.json" ] ||
    echo '{"name":"popi-llamacpp-bench","private":true,"type":"module"}' >"$NODE_LLAMA_CPP_DIR/package.json"
  # The prebuilt binaries come as optional dependencies; skip the postinstall source download.
  (cd "$NODE_LLAMA_CPP_DIR" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund "node-llama-cpp@$nlc_version")
fi

runner=${LLAMACPP_RUNNER:-c}
bins="$NODE_LLAMA_CPP_DIR/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ "$runner" != node ]; then
  src="$NODE_LLAMA_CPP_DIR/llama.cpp-src"
  if ! [ -f "$src/include/llama.h" ]; then
    rm -rf "$src"
    git clone -q "$NODE_LLAMA_CPP_DIR/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$src" 2>/dev/null
  fi
  echo "llama.h from $(git -C "$src" describe --tags --always 2>/dev/null) ($(git -C "$src" log -1 --format=%H)), libraries in $bins"
  gcc -O2 -Wall -I "$src/include" -I "$src/ggml/include" scripts/llamacpp_bench.c -o "$gguf_dir/llamacpp_bench_c" \
    "$bins"/libllama.v*.so "$bins"/libggml.v*.so "$bins/libggml-base.so" -Wl,-rpath,"$bins"
fi

exporter="$gguf_dir/export"
go build -o "$exporter" ./cmd/export
# Exports are cached; the stamp hashes the exporter's sources, so a changed writer rewrites them.
stamp=$(cat llama/gguf_write.go cmd/export/main.go llama/model_random.go kernels/half_generic.go | sha256sum | cut -c1-16)
export_cached() { # out args...
  local out=$1
  shift
  if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "using $out (exported by the same sources)"
    return
  fi
  rm -f "$out.stamp"
  "$exporter" -o "$out" "$@"
  echo "$stamp" >"$out.stamp"
}

# pair_decode GGUF LABEL THREADS DTYPE: llama.cpp's runner and popi-go's scripts/pairdecode
# (same random weights, built in memory) take turns rep by rep through two FIFOs, popi-go first;
# reps of 64 greedy steps after a 16-token prompt; both print per-rep rates and a median.
pair_decode() {
  local f=$1 label=$2 t=$3 dt=$4 dir
  dir=$(mktemp -d)
  mkfifo "$dir/popi" "$dir/llamacpp"
  go build -o "$dir/pairdecode" ./scripts/pairdecode
  GOMAXPROCS=$t "$dir/pairdecode" -shape "$shape" -dtype "$dt" -tokens 64 -reps "$reps" \
    -in "$dir/popi" -out "$dir/llamacpp" >"$dir/popi.out" 2>&1 &
  local gopid=$!
  PAIR_IN="$dir/llamacpp" PAIR_OUT="$dir/popi" "$gguf_dir/llamacpp_bench_c" "$bins" "$f" "$label" "$t" 16 64 "$reps" \
    >"$dir/llamacpp.out" 2>&1 &
  local cpid=$!
  until grep -q "model built" "$dir/popi.out" && grep -q "loaded in" "$dir/llamacpp.out"; do
    if ! kill -0 "$gopid" 2>/dev/null || ! kill -0 "$cpid" 2>/dev/null; then
      cat "$dir/popi.out" "$dir/llamacpp.out"
      echo "pair_decode: a runner exited before the start" >&2
      kill "$gopid" "$cpid" 2>/dev/null || true
      return 1
    fi
    sleep 1
  done
  printf x >"$dir/popi" # popi-go takes the first turn
  wait "$gopid" "$cpid"
  grep -E "decode|SUMMARY" "$dir/popi.out" "$dir/llamacpp.out" | sed "s|$dir/||"
  rm -rf "$dir"
}

echo "== correctness: tiny golden model through cmd/export and llama.cpp"
"$exporter" -model "$golden" -o "$gguf_dir/tiny.gguf"
"$exporter" -model "$golden/untied" -o "$gguf_dir/tiny-untied.gguf"
node scripts/llamacpp_bench.mjs check "$gguf_dir/tiny.gguf" "$golden/greedy.json" tied
node scripts/llamacpp_bench.mjs check "$gguf_dir/tiny-untied.gguf" "$golden/greedy.json" untied

for dt in $dtypes; do
  f="$gguf_dir/random-$shape-$dt.gguf"
  echo "== export $shape $dt ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"
  export_cached "$f" -random "$shape" -dtype "$dt"
  label="$shape-$(echo "$dt" | tr a-z A-Z)"
  for t in $threads; do
    echo "== llama.cpp $label, $t thread(s) ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"
    if [ "$runner" = pair ]; then
      pair_decode "$f" "$label" "$t" "$dt"
      continue
    fi
    if [ "$runner" != node ]; then
      "$gguf_dir/llamacpp_bench_c" "$bins" "$f" "$label" "$t" 128,512 64 "$reps"
    fi
    if [ "$runner" != c ]; then
      node scripts/llamacpp_bench.mjs bench "$f" "$label" "$t" 128,512 64 "$reps"
    fi
  done
done
echo "== done ($(date -u +%H:%M:%S)); uptime: $(uptime)"
