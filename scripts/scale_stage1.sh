#!/usr/bin/env bash
# POPI Stage 1 at the paper's scale on this machine: builds random-weight checkpoints of the
# Llama-3.2-1B and -3B shapes (cmd/export -random: bf16 Hugging Face directories with the
# synthetic 128,256-token Llama-3 vocabulary, or quantized GGUF files for QLoRA) and runs the
# real cmd/train on them for a few Stage-1 steps (LoRA r 16 on all seven projections, batch 4
# users x group 4, summaries <= 48 tokens, 4 reward pairs, micro-batches of 4; Stage 2 skipped,
# evaluation cut to one held-out user), then prints the peak RSS (/usr/bin/time -v), the
# weight size and the per-phase timings of the last step from the run's metrics.jsonl.
#
# Usage (one heavy job at a time): flock /tmp/popi-heavy.lock scripts/scale_stage1.sh [CASE...]
# CASE is SHAPE-FORMAT with SHAPE 1b or 3b and FORMAT bf16, q8_0 or q4_k_m (default: 1b-bf16
# 3b-q4_k_m 3b-bf16). STEPS (default 2) sets the steps, BATCH (default 4) the users per step,
# SHOTS (default 1) the signal pairs in each inference prompt (the prompt length: the synthetic
# vocabulary spends ~2.5 bytes a token, so 4 pairs make ~2000-token prompts), SCALE_DIR
# (default /tmp/popi-scale) where checkpoints and runs go; checkpoints are reused when present.
# Peak memory does not depend on BATCH: sequences go through the model 4 at a time (the
# group of one prompt when sampling, micro-batches of 4 in the policy passes).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${SCALE_DIR:-/tmp/popi-scale}
steps=${STEPS:-2}
batch=${BATCH:-4}
shots=${SHOTS:-1}
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(1b-bf16 3b-q4_k_m 3b-bf16)
mkdir -p "$dir"
go build -o "$dir/export" ./cmd/export
go build -o "$dir/train" ./cmd/train
field() { grep -o "\"$1\":[-0-9.e+]*" | tail -1 | cut -d: -f2; }
for c in "${cases[@]}"; do
  shape=${c%%-*} format=${c#*-}
  case $format in
  bf16) model=$dir/random-$shape-bf16
    [ -f "$model/config.json" ] || "$dir/export" -random "$shape" -dtype bf16 -format hf -o "$model" ;;
  q8_0 | q4_k_m) model=$dir/random-$shape-$format.gguf
    [ -f "$model" ] || "$dir/export" -random "$shape" -dtype bf16 -quant "$format" -o "$model" ;;
  *) echo "unknown format $format (want bf16, q8_0 or q4_k_m)"; exit 2 ;;
  esac
  run=$dir/run-$c
  rm -rf "$run"
  /usr/bin/time -v "$dir/train" -model "$model" -out "$run" -lora on -lr 1e-4 -steps "$steps" -warmup 0 \
    -batch "$batch" -shots "$shots" -group 4 -summary-tokens 48 -reward-pairs 4 -micro-batch 4 -ckpt-every 0 -skip-stage2 \
    -eval-users 1 -eval-targets 1 -win-targets 1 -max-response-tokens 8 -methods Base-Model,POPI-Inference-Only \
    >"$run.log" 2>"$run.time" || { tail -20 "$run.log" "$run.time"; exit 1; }
  rss=$(grep "Maximum resident set size" "$run.time" | grep -o "[0-9]*$")
  wall=$(grep "Elapsed (wall clock)" "$run.time" | awk '{print $NF}')
  row=$(grep '"phase":"stage1"' "$run/metrics.jsonl" | tail -1)
  echo "== $c: peak RSS $(awk -v k="$rss" 'BEGIN{printf "%.2f GB", k*1024/1e9}'), wall $wall for $steps Stage-1 steps of $batch users x 4 summaries plus setup and evaluation"
  grep -ao "LoRA: .*" "$run.log" || true
  printf "   last step: sample %.1fs (%.1f tok/s), reward %.1fs (%.0f tok/s, %.1f GFLOP/s), ref+entropy %.1fs, policy fwd+bwd %.1fs (%.0f tok/s, %.1f GFLOP/s), optimizer %.2fs\n" \
    "$(field time_sample <<<"$row")" "$(field sample_tokens_per_s <<<"$row")" \
    "$(field time_reward <<<"$row")" "$(field reward_tokens_per_s <<<"$row")" "$(field reward_gflops <<<"$row")" \
    "$(field time_score <<<"$row")" "$(field time_policy <<<"$row")" "$(field policy_tokens_per_s <<<"$row")" \
    "$(field policy_gflops <<<"$row")" "$(field time_opt <<<"$row")"
done
