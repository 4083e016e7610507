#!/usr/bin/env bash
# fuzz.sh [FUZZTIME] [MINIMIZETIME]: run every Fuzz target of the module in turn, each for
# FUZZTIME (default 30s) with input minimization bounded by MINIMIZETIME (default 5s; Go's
# default of 60s let one slow minimization eat a whole budget), and print a Markdown table
# of executions and results. FUZZ_PARALLEL sets the workers (default 2), FUZZ_TABLE a file
# that receives the table too.
#
# A target fails when go test fails with a failing input written to testdata/fuzz. Go
# 1.26's coordinator can also end a clean run with a bare "context deadline exceeded" when
# -fuzztime expires (golang/go#75804, fixed in Go 1.27): with no failing input written that
# is reported as "deadline race" and does not fail the run.
set -uo pipefail
fuzztime=${1:-30s}
minimize=${2:-5s}
parallel=${FUZZ_PARALLEL:-2}
cd "$(dirname "$0")/.."
table=$(mktemp)
echo "| package | target | executions | new interesting | result |" >"$table"
echo "| --- | --- | ---: | ---: | --- |" >>"$table"
failed=0
for pkg in $(go list ./...); do
	for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz'); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		before=$(ls "$dir/testdata/fuzz/$f" 2>/dev/null | wc -l)
		log=$(mktemp)
		echo "fuzz $pkg $f ($fuzztime)"
		go test -run '^$' -fuzz "^$f\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" \
			-parallel "$parallel" "$pkg" >"$log" 2>&1
		rc=$?
		after=$(ls "$dir/testdata/fuzz/$f" 2>/dev/null | wc -l)
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
		interesting=$(grep -o 'new interesting: [0-9]*' "$log" | tail -1 | awk '{print $3}')
		result=ok
		if [ "$rc" -ne 0 ]; then
			if [ "$after" -eq "$before" ] && grep -q '^    context deadline exceeded$' "$log" && ! grep -q 'Failing input written' "$log"; then
				result="deadline race (golang/go#75804), no failing input"
			else
				result=FAIL
				failed=1
				tail -30 "$log"
			fi
		fi
		echo "| ${pkg#github.com/popi-go/popi/} | $f | ${execs:-0} | ${interesting:-0} | $result |" >>"$table"
		rm -f "$log"
	done
done
cat "$table"
[ -n "${FUZZ_TABLE:-}" ] && cp "$table" "$FUZZ_TABLE"
rm -f "$table"
exit $failed
