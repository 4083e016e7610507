#!/usr/bin/env bash
# Training step of popi-go and PyTorch in turns, step by step, on this machine: the two wait for
# each other through two FIFOs, so drifts of this VM's speed hit both alike. Prints each side's
# step times and medians and their ratio. The PyTorch side runs the model, data shapes, AdamW
# and thread settings of a reference script that is not part of this repository
# (TORCH_REFERENCE, default ../shared/bench/torch_tiny_llama.py; see scripts/torch_pair.py for
# what it must define). Usage: scripts/pair_train.sh [5m|30m] [steps]; run it under the
# heavy-job lock (flock /tmp/popi-heavy.lock scripts/pair_train.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-5m}
steps=${2:-10}
ref=${TORCH_REFERENCE:-../shared/bench/torch_tiny_llama.py}
if [ ! -f "$ref" ]; then
  echo "pair_train: no PyTorch reference script at $ref; set TORCH_REFERENCE to one (see scripts/torch_pair.py)" >&2
  exit 2
fi
ref=$(cd "$(dirname "$ref")" && pwd)/$(basename "$ref")
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread >/dev/null
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/popi" "$dir/torch"
go build -o "$dir/pairtrain" ./scripts/pairtrain
"$dir/pairtrain" -shape "$shape" -steps "$steps" -in "$dir/popi" -out "$dir/torch" >"$dir/popi.out" 2>&1 &
gopid=$!
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE \
  /usr/bin/python3 scripts/torch_pair.py "$ref" "$shape" "$steps" "$dir/torch" "$dir/popi" >"$dir/torch.out" 2>&1 &
pypid=$!
until grep -q "model built" "$dir/popi.out" && grep -q "model built" "$dir/torch.out"; do
  if ! kill -0 "$gopid" 2>/dev/null || ! kill -0 "$pypid" 2>/dev/null; then
    cat "$dir/popi.out" "$dir/torch.out"
    echo "pair_train: a side exited before the start" >&2
    kill "$gopid" "$pypid" 2>/dev/null || true
    exit 1
  fi
  sleep 1
done
echo "== pair_train $shape, $steps steps each, started $(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)"
printf x >"$dir/popi" # popi-go takes the first turn
wait "$gopid" "$pypid"
cat "$dir/popi.out" "$dir/torch.out"
ours=$(sed -n 's/^SUMMARY popi-go.*: \([0-9.]*\) ms.*/\1/p' "$dir/popi.out")
theirs=$(sed -n 's/^SUMMARY torch.*: \([0-9.]*\) ms.*/\1/p' "$dir/torch.out")
awk -v o="$ours" -v t="$theirs" 'BEGIN { printf "RATIO popi-go / PyTorch: %.2fx\n", o / t }'
