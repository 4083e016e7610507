#!/usr/bin/env bash
# Regenerates llama/testdata/quant/: the random test model (scripts/quantref/mksource, f32 GGUF)
# quantized by llama.cpp's own quantizer (llama_model_quantize of the prebuilt libllama that
# node-llama-cpp ships, installed as scripts/llamacpp_bench.sh does) to Q8_0 and Q4_K_M, plus the
# first two rows of every matrix as llama.cpp's dequantizer gives them (*.deq.bin).
set -euo pipefail
cd "$(dirname "$0")/../.."
nlc_version=3.22.1
export NODE_LLAMA_CPP_DIR=${NODE_LLAMA_CPP_DIR:-$HOME/.cache/popi-llamacpp}
if ! [ -f "$NODE_LLAMA_CPP_DIR/node_modules/node-llama-cpp/package.json" ]; then
  mkdir -p "$NODE_LLAMA_CPP_DIR"
  [ -f "$NODE_LLAMA_CPP_DIR/package.json" ] ||
    echo '{"name":"popi-llamacpp-bench","private":true,"type":"module"}' >"$NODE_LLAMA_CPP_DIR/package.json"
  (cd "$NODE_LLAMA_CPP_DIR" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund "node-llama-cpp@$nlc_version")
fi
bins="$NODE_LLAMA_CPP_DIR/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
src="$NODE_LLAMA_CPP_DIR/llama.cpp-src"
if ! [ -f "$src/include/llama.h" ]; then
  rm -rf "$src"
  git clone -q "$NODE_LLAMA_CPP_DIR/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$src" 2>/dev/null
fi
tmp=$(mktemp -d)
gcc -O2 -Wall -I "$src/include" -I "$src/ggml/include" scripts/quantref/llamacpp_quantize.c -o "$tmp/q" \
  "$bins"/libllama.v*.so "$bins"/libggml.v*.so "$bins/libggml-base.so" -Wl,-rpath,"$bins"
go run ./scripts/quantref/mksource "$tmp/f32.gguf"
out=llama/testdata/quant
mkdir -p "$out"
"$tmp/q" "$tmp/f32.gguf" "$out/q8_0.gguf" 7 "$out/q8_0.deq.bin" >"$tmp/q8_0.log" 2>&1 || { cat "$tmp/q8_0.log"; exit 1; }
"$tmp/q" "$tmp/f32.gguf" "$out/q4_k_m.gguf" 15 "$out/q4_k_m.deq.bin" >"$tmp/q4.log" 2>&1 || { cat "$tmp/q4.log"; exit 1; }
grep -E '^(token_embd|blk|output)' "$tmp/q4.log" || true
echo "llama.cpp $(git -C "$src" describe --tags --always): wrote $(ls -la $out | tail -n +2 | awk '{print $9" "$5}' | tr '\n' ' ')"
rm -rf "$tmp"
