#!/usr/bin/env bash
# Accuracy of quantized models (issue 19): perplexity of models/popi-tiny on a fixed
# persona-world text as f32 / Q8_0 / Q4_0 in popi-go (prefill and decode) and in llama.cpp on the
# same GGUF files (scripts/llamacpp_logits.c, F32 KV cache), with logit differences; then, given
# GGUFs of the 1B shape as arguments (quantized first, reference last, e.g. random-1b-q8_0.gguf
# random-1b-bf16.gguf), the same comparison on 64 tokens.
# llama.cpp comes from node-llama-cpp as in scripts/llamacpp_bench.sh (install it with that script).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${NODE_LLAMA_CPP_DIR:-$HOME/.cache/popi-llamacpp}
bins=$N/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
src=$N/llama.cpp-src
dir=${QUANTACC_DIR:-/tmp/popi-quantacc}
mkdir -p "$dir"
gcc -O2 -Wall -I "$src/include" -I "$src/ggml/include" scripts/llamacpp_logits.c -o "$dir/llamacpp_logits" \
  "$bins"/libllama.v*.so "$bins"/libggml.v*.so "$bins/libggml-base.so" -Wl,-rpath,"$bins"
go build -o "$dir/quantacc" ./scripts/quantacc
"$dir/quantacc" -tiny models/popi-tiny -out "$dir"
for q in f32 q8_0 q4_0; do
  "$dir/llamacpp_logits" "$bins" "$dir/tiny-$q.gguf" "$dir/tiny.tokens.bin" "$dir/tiny-$q.lc.bin" 2
  "$dir/quantacc" -gguf "$dir/tiny-$q.gguf" -ref "$dir/tiny-f32.gguf" -llamacpp "$dir/tiny-$q.lc.bin" -tokens "$dir/tiny.tokens.bin"
done
if [ $# -ge 2 ]; then
  ref=${*: -1}
  for f in "${@:1:$#-1}"; do
    "$dir/quantacc" -gguf "$f" -n 64 -ref "$ref" >/dev/null # warm
    python3 - "$dir/tok64.bin" <<'PY'
import struct, sys
n = 64
open(sys.argv[1], "wb").write(struct.pack("<I", n) + b"".join(struct.pack("<i", (i*7919+11) % 128256) for i in range(n)))
PY
    "$dir/llamacpp_logits" "$bins" "$f" "$dir/tok64.bin" "$dir/lc64.bin" 2
    "$dir/quantacc" -gguf "$f" -ref "$ref" -llamacpp "$dir/lc64.bin" -tokens "$dir/tok64.bin"
  done
fi
