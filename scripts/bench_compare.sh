#!/usr/bin/env bash
# Measures popi-go and the reference libraries in one run on this machine, so the figures can
# be quoted as ratios (the machine is noisy between runs). The hardware limits (fma_peak.sh,
# stream.sh) and OpenBLAS (openblas_sgemm.sh) are measured by the scripts beside this one; the
# PyTorch training step needs a reference script that is not part of this repository
# (TORCH_REFERENCE_SH, default ../shared/bench/torch_tiny_llama.sh: a tiny LLaMA of the 5m and
# 30m presets' shapes) and is skipped, saying so, when it is absent.
# Usage: scripts/bench_compare.sh [outdir]; run it under the heavy-job lock.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/popi-bench}
mkdir -p "$out"
torch=${TORCH_REFERENCE_SH:-../shared/bench/torch_tiny_llama.sh}
log() { echo "== $* ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"; }
log "FMA peak";   scripts/fma_peak.sh 2          2>&1 | tee "$out/fma_peak.txt" | grep SUMMARY
log "stream";     scripts/stream.sh 256 5        2>&1 | tee "$out/stream.txt" | grep SUMMARY
log "OpenBLAS";   scripts/openblas_sgemm.sh 3    2>&1 | tee "$out/openblas.txt" | grep SUMMARY
log "popi-go SGEMM/GEMV"
go test -run '^$' -bench 'Sgemm/(f32|f32-1t|gonum|bf16dot)/|Gemv/(f32|bf16)/' -benchtime 1s -count 3 ./kernels \
  2>&1 | tee "$out/kernels.txt" | grep -E '^Benchmark' | awk '{print $1, $(NF-1), $NF}' | sort | uniq
log "popi-go LLaMA-1B decode/prefill"
go test -run '^$' -bench 'Decode/1b/|Prefill/1b/.*/128' -benchtime 3x -count 1 -timeout 30m ./llama \
  2>&1 | tee "$out/llama1b.txt" | grep -E '^Benchmark'
log "popi-go train step"
go test -run '^$' -bench 'TrainStep$' -benchtime 3x -count 1 ./llama 2>&1 | tee "$out/train.txt" | grep -E '^Benchmark'
if [ -f "$torch" ]; then
  log "PyTorch 5m"; bash "$torch" 5m 2>&1 | tee "$out/torch5m.txt" | tail -3
  log "PyTorch 30m"; bash "$torch" 30m 2>&1 | tee "$out/torch30m.txt" | tail -3
else
  log "PyTorch skipped: no reference script at $torch (set TORCH_REFERENCE_SH)"
fi
log "llama.cpp 1B (node-llama-cpp prebuilt, zen4 backend; same random weights as popi-go's Decode/Prefill)"
scripts/llamacpp_bench.sh 1b "bf16 f32" "1 2" 3 2>&1 | tee "$out/llamacpp.txt" | grep -E 'SUMMARY|CHECK|CPU variant loaded'
log done
