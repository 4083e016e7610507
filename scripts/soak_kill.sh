#!/usr/bin/env bash
# soak_kill.sh [N]: kill -9 cmd/train at random moments N times (default 10) on a tiny
# configuration, resuming after each kill, then check that the run ends exactly as an
# uninterrupted one: every final model's files have the same sha256, and metrics.jsonl has
# one row per (phase, step), the same set of rows as the uninterrupted run's.
#
#   scripts/soak_kill.sh          # 10 kills
#   scripts/soak_kill.sh 2        # the short form `make test` runs
#   SOAK_SEED=7 SOAK_DIR=/tmp/s scripts/soak_kill.sh 20
#
# A kill that lands after the run finished does not count: the finished run is checked
# too, and the remaining kills go to a fresh run.
set -euo pipefail

kills=${1:-10}
seed=${SOAK_SEED:-$$}
RANDOM=$seed
root=${SOAK_DIR:-$(mktemp -d /tmp/popi-soak.XXXXXX)}
mkdir -p "$root"
cd "$(dirname "$0")/.."

# Tiny configuration: a few steps of each stage, checkpoints every step or two, a small
# evaluation. Kept in one place so the reference and the killed runs agree.
flags=(-steps 4 -batch 2 -group 2 -summary-tokens 12 -reward-pairs 1 -micro-batch 4 -ckpt-every 2
	-stage2-steps 3 -stage2-batch 4 -stage2-targets 1 -eval-users 2 -eval-targets 2 -win-targets 1
	-max-response-tokens 8 -train-targets 2 -methods all)

go build -o "$root/train" ./cmd/train

echo "soak: seed $seed, $kills kills, in $root"
ms() { echo $(($(date +%s%N) / 1000000)); }
start=$(ms)
"$root/train" "${flags[@]}" -out "$root/ref" >"$root/ref.log" 2>&1
ref_ms=$(($(ms) - start))
echo "soak: uninterrupted run took ${ref_ms} ms"

# models_sums DIR: "sha256  models/<method>/<file>" for every final model file.
models_sums() {
	(cd "$1" && find models -type f | LC_ALL=C sort | xargs sha256sum)
}

# metric_keys DIR: one "phase step" line per metrics row ("-" for rows without a step).
metric_keys() {
	while IFS= read -r line; do
		phase=$(printf '%s' "$line" | sed -n 's/.*"phase":"\([^"]*\)".*/\1/p')
		step=$(printf '%s' "$line" | sed -n 's/.*"step":\([0-9]*\).*/\1/p')
		echo "$phase ${step:--}"
	done <"$1/metrics.jsonl" | LC_ALL=C sort
}

fail=0
check() { # check DIR: compare a finished run with the reference
	local dir=$1
	if ! diff <(models_sums "$root/ref") <(models_sums "$dir") >"$root/models.diff"; then
		echo "soak: FAIL: final models of $dir differ from the uninterrupted run:"
		cat "$root/models.diff"
		fail=1
	fi
	local dups
	dups=$(metric_keys "$dir" | uniq -d)
	if [ -n "$dups" ]; then
		echo "soak: FAIL: $dir/metrics.jsonl repeats (phase, step) rows:"
		echo "$dups"
		fail=1
	fi
	if ! diff <(metric_keys "$root/ref") <(metric_keys "$dir") >"$root/metrics.diff"; then
		echo "soak: FAIL: $dir/metrics.jsonl rows differ from the uninterrupted run's:"
		cat "$root/metrics.diff"
		fail=1
	fi
}

# The delay before a kill in ms: uniform in [200, 0.9 * the uninterrupted run's time].
delay_ms() {
	local max=$((ref_ms * 9 / 10))
	max=$((max > 300 ? max : 300))
	echo $((200 + (RANDOM * 32768 + RANDOM) % (max - 200)))
}

run_no=1
dir="$root/run$run_no"
done_kills=0
while [ "$done_kills" -lt "$kills" ]; do
	resume=()
	[ -f "$dir/config.json" ] && resume=(-resume)
	"$root/train" "${flags[@]}" "${resume[@]}" -out "$dir" >>"$dir.log" 2>&1 &
	pid=$!
	d=$(delay_ms)
	sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
		done_kills=$((done_kills + 1))
		echo "soak: kill $done_kills/$kills after ${d} ms (run $run_no)"
	else
		if ! wait "$pid"; then
			echo "soak: FAIL: run $run_no exited with an error before the kill (see $dir.log)"
			tail -5 "$dir.log"
			exit 1
		fi
		echo "soak: run $run_no finished before the kill at ${d} ms; checking it, then a fresh run"
		check "$dir"
		run_no=$((run_no + 1))
		dir="$root/run$run_no"
	fi
done
if [ -f "$dir/config.json" ]; then
	resume=(-resume)
else
	resume=()
fi
if ! "$root/train" "${flags[@]}" "${resume[@]}" -out "$dir" >>"$dir.log" 2>&1; then
	echo "soak: FAIL: the final resume of run $run_no failed (see $dir.log)"
	tail -5 "$dir.log"
	exit 1
fi
check "$dir"
if [ "$fail" -ne 0 ]; then
	echo "soak: FAIL (seed $seed; runs kept in $root)"
	exit 1
fi
echo "soak: ok: $kills kills, $run_no run(s), final models identical (sha256) and one metrics row per (phase, step)"
[ -n "${SOAK_DIR:-}" ] || rm -rf "$root"
