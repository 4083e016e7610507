#!/usr/bin/env bash
# Load time, warm page cache, of the 1B GGUFs of scripts/quant_bench.sh: llama.cpp's C runner
# ("loaded in": llama_model_load_from_file without mmap plus the context) against popi-go's
# cmd/generate (-stats "load": llama.Load plus the tokenizer), each alone, alternating, reps times.
# Usage (under the heavy-job lock): flock /tmp/popi-heavy.lock scripts/quant_load.sh [reps] [files...]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
shift || true
dir=${QUANT_BENCH_DIR:-/tmp/popi-quant}
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$dir/random-1b-q8_0.gguf" "$dir/random-1b-q4_k_m.gguf" "$dir/random-1b-bf16.gguf")
N=${NODE_LLAMA_CPP_DIR:-$HOME/.cache/popi-llamacpp}
bins=$N/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
[ -x "$dir/llamacpp_bench_c" ] || { echo "run scripts/quant_bench.sh first (builds the C runner)"; exit 1; }
go build -o "$dir/generate" ./cmd/generate
for f in "${files[@]}"; do
  cat "$f" >/dev/null
  for r in $(seq "$reps"); do
    lc=$("$dir/llamacpp_bench_c" "$bins" "$f" x 2 16 1 1 2>&1 | grep -o "loaded in [0-9.]*s")
    pg=$("$dir/generate" -model "$f" -prompt hi -temp 0 -max-tokens 1 -stats 2>&1 >/dev/null | grep -o "load [0-9.]*s")
    echo "$(basename "$f"): llama.cpp $lc, popi-go $pg (load avg $(cut -d' ' -f1 /proc/loadavg))"
  done
done
