#!/usr/bin/env bash
# Bounded load test of cmd/serve: starts the server on a free loopback port (the built-in
# tiny model unless MODEL is set), runs cmd/serveload with CLIENTS clients for DURATION,
# samples the server's resident memory, stops the server and prints the JSON result.
# Fails when a response was an error other than 429 or malformed. Heavy: run it under
# flock /tmp/popi-heavy.lock on shared machines.
#
#   scripts/serve_load.sh                 # 64 clients, 60 s, models/popi-tiny
#   CLIENTS=16 DURATION=10s scripts/serve_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-models/popi-tiny}
CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-60s}
MAXBATCH=${MAXBATCH:-16}
QUEUE=${QUEUE:-16}
tmp=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/serve" ./cmd/serve
go build -o "$tmp/serveload" ./cmd/serveload
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$tmp/serve" -model "$MODEL" -addr "127.0.0.1:$port" -db "$tmp/users.db" -max-batch "$MAXBATCH" -queue "$QUEUE" >"$tmp/serve.log" 2>&1 &
srv=$!
for _ in $(seq 1 100); do
	curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
	sleep 0.1
done
"$tmp/serveload" -url "http://127.0.0.1:$port/v1" -clients "$CLIENTS" -duration "$DURATION" -pid "$srv"
echo "--- server metrics"
curl -s "http://127.0.0.1:$port/metrics" | grep -v '^#'
