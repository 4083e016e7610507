#!/usr/bin/env bash
# popi-go against popi-go: decode of two GGUFs (default: the 1B Q8_0 and bf16 files of
# scripts/quant_bench.sh) taking turns rep by rep (pairdecode FIFOs), so the ratio of the two
# is measured on the same machine state. Usage (under the heavy-job lock):
#   flock /tmp/popi-heavy.lock scripts/quant_pair_self.sh [reps] [A.gguf B.gguf]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-7}
dir=${QUANT_BENCH_DIR:-/tmp/popi-quant}
a=${2:-$dir/random-1b-q8_0.gguf}
b=${3:-$dir/random-1b-bf16.gguf}
go build -o "$dir/pairdecode" ./scripts/pairdecode
t=$(mktemp -d)
mkfifo "$t/a" "$t/b"
GOMAXPROCS=2 "$dir/pairdecode" -gguf "$a" -dtype "$(basename "$a" .gguf)" -tokens 64 -reps "$reps" -in "$t/a" -out "$t/b" >"$t/a.out" 2>&1 &
pa=$!
GOMAXPROCS=2 "$dir/pairdecode" -gguf "$b" -dtype "$(basename "$b" .gguf)" -tokens 64 -reps "$reps" -in "$t/b" -out "$t/a" >"$t/b.out" 2>&1 &
pb=$!
until grep -q "model built" "$t/a.out" && grep -q "model built" "$t/b.out"; do sleep 1; done
printf x >"$t/a"
wait $pa $pb
grep -hE "decode|SUMMARY" "$t/a.out" "$t/b.out"
rm -rf "$t"
