#!/usr/bin/env bash
# Measures popi-go and the reference libraries in one run on this machine, so the figures can
# be quoted as ratios (the machine is noisy between runs). Needs ../shared/bench (the reference
# scripts install what they need). Usage: scripts/bench_compare.sh [outdir]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/popi-bench}
mkdir -p "$out"
ref=../shared/bench
log() { echo "== $* ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"; }
log "FMA peak";   bash "$ref/fma_peak.sh" 3        2>&1 | tee "$out/fma_peak.txt" | grep SUMMARY
log "stream";     bash "$ref/stream.sh"            2>&1 | tee "$out/stream.txt" | tail -4
log "OpenBLAS";   bash "$ref/openblas_sgemm.sh" 3  2>&1 | tee "$out/openblas.txt" | grep -E 'SUMMARY'
log "popi-go SGEMM/GEMV"
go test -run '^$' -bench 'Sgemm/(f32|f32-1t|gonum|bf16dot)/|Gemv/(f32|bf16)/' -benchtime 1s -count 3 ./kernels \
  2>&1 | tee "$out/kernels.txt" | grep -E '^Benchmark' | awk '{print $1, $(NF-1), $NF}' | sort | uniq
log "popi-go LLaMA-1B decode/prefill"
go test -run '^$' -bench 'Decode/1b/|Prefill/1b/.*/128' -benchtime 3x -count 1 -timeout 30m ./llama \
  2>&1 | tee "$out/llama1b.txt" | grep -E '^Benchmark'
log "popi-go train step"
go test -run '^$' -bench 'TrainStep$' -benchtime 3x -count 1 ./llama 2>&1 | tee "$out/train.txt" | grep -E '^Benchmark'
log "PyTorch 5m"; bash "$ref/torch_tiny_llama.sh" 5m 2>&1 | tee "$out/torch5m.txt" | tail -3
log "PyTorch 30m"; bash "$ref/torch_tiny_llama.sh" 30m 2>&1 | tee "$out/torch30m.txt" | tail -3
log "llama.cpp 1B (node-llama-cpp prebuilt, zen4 backend; same random weights as popi-go's Decode/Prefill)"
scripts/llamacpp_bench.sh 1b "bf16 f32" "1 2" 3 2>&1 | tee "$out/llamacpp.txt" | grep -E 'SUMMARY|CHECK|CPU variant loaded'
log done
