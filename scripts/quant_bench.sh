#!/usr/bin/env bash
# Issue 19 benchmarks: popi-go against llama.cpp on the same quantized GGUFs of the 1B shape
# (random weights, written by cmd/export -random 1b -dtype bf16 -quant q8_0|q4_k_m, and the bf16
# file). Per file: llama.cpp's C runner (scripts/llamacpp_bench.c: load, prefill 128/512, decode 64,
# no mmap, F16 KV cache) and popi-go's pairdecode -gguf (load, decode 64, prefill 512) taking turns
# rep by rep on decode (as LLAMACPP_RUNNER=pair does), then cmd/generate's load time and peak RSS.
# Usage (under the heavy-job lock): flock /tmp/popi-heavy.lock scripts/quant_bench.sh [reps] [files...]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
shift || true
dir=${QUANT_BENCH_DIR:-/tmp/popi-quant}
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$dir/random-1b-q8_0.gguf" "$dir/random-1b-q4_k_m.gguf" "$dir/random-1b-bf16.gguf")
N=${NODE_LLAMA_CPP_DIR:-$HOME/.cache/popi-llamacpp}
bins=$N/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
src=$N/llama.cpp-src
gcc -O2 -Wall -I "$src/include" -I "$src/ggml/include" scripts/llamacpp_bench.c -o "$dir/llamacpp_bench_c" \
  "$bins"/libllama.v*.so "$bins"/libggml.v*.so "$bins/libggml-base.so" -Wl,-rpath,"$bins"
go build -o "$dir/pairdecode" ./scripts/pairdecode
go build -o "$dir/generate" ./cmd/generate
echo "== $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
for f in "${files[@]}"; do
  label=$(basename "$f" .gguf)
  cat "$f" >/dev/null # warm page cache
  echo "== $label ($(stat -c %s "$f") bytes), $(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)"
  t=$(mktemp -d)
  mkfifo "$t/popi" "$t/lc"
  GOMAXPROCS=2 "$dir/pairdecode" -gguf "$f" -dtype "$label" -tokens 64 -reps "$reps" \
    -in "$t/popi" -out "$t/lc" >"$t/popi.out" 2>&1 &
  gp=$!
  PAIR_IN="$t/lc" PAIR_OUT="$t/popi" "$dir/llamacpp_bench_c" "$bins" "$f" "$label" 2 512 64 "$reps" >"$t/lc.out" 2>&1 &
  cp=$!
  until grep -q "model built" "$t/popi.out" && grep -q "loaded in" "$t/lc.out"; do
    kill -0 $gp 2>/dev/null && kill -0 $cp 2>/dev/null || { cat "$t"/*.out; exit 1; }
    sleep 1
  done
  printf x >"$t/popi"
  wait $gp $cp
  grep -E "built|loaded|decode|SUMMARY" "$t/popi.out" "$t/lc.out" | sed "s|$t/||"
  rm -rf "$t"
  # prefill of 512 tokens, unpaired, one after the other (popi-go with the bf16 dot product for
  # the dequantized panels, as llama.cpp rounds activations too)
  "$dir/llamacpp_bench_c" "$bins" "$f" "$label" 2 512 0 "$reps" 2>&1 | grep -E "prefill"
  GOMAXPROCS=2 "$dir/pairdecode" -gguf "$f" -dtype "$label" -tokens 1 -reps "$reps" -prefill 512 -bf16-dot | grep -E "prefill"
  /usr/bin/time -f "generate: peak RSS %M KB, wall %e s" "$dir/generate" -model "$f" -prompt "hello world" -temp 0 -max-tokens 32 -stats 2>&1 >/dev/null | grep -E "load|RSS"
done
echo "== done $(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)"
