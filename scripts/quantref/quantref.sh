#!/usr/bin/env bash
# Regenerates kernels/testdata/quant_ref.bin with llama.cpp's own quantizers: quantref.c calls
# quantize_row_{q8_0,q4_0,q4_K,q6_K,q8_K}_ref and dequantize_row_* of the prebuilt libggml-base
# that node-llama-cpp ships (installed as scripts/llamacpp_bench.sh does).
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
out=$(mktemp -d)
gcc -O2 -Wall scripts/quantref/quantref.c -o "$out/quantref" "$bins/libggml-base.so" -lm -Wl,-rpath,"$bins"
mkdir -p kernels/testdata
"$out/quantref" kernels/testdata/quant_ref.bin
rm -rf "$out"
echo "wrote kernels/testdata/quant_ref.bin ($(stat -c %s kernels/testdata/quant_ref.bin) bytes) from $bins"
