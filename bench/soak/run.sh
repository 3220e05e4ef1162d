#!/usr/bin/env bash
# The soak (bench/README.md, "Soak"), run by hand, not in CI: the streams
# echo server (examples/echo_server --api streams) under 1,000 connections
# of 1 KiB messages for 10 minutes, reporting throughput, p50/p99 latency
# and the server's RSS every 10 s, then the RSS slope after the first
# minute. Extra arguments go to the load generator, e.g.
#   bench/soak/run.sh                              # full load, 10 minutes
#   bench/soak/run.sh --think 5 --duration 600     # each connection pauses 5 ms between messages
#   bench/soak/run.sh --api protocol --duration 60
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
api=streams
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --api) api=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release >/dev/null
fi
cmake --build --preset release --target echo_server soak >/dev/null
ulimit -n "$(ulimit -Hn)"
out=$(mktemp)
build/release/examples/echo_server --api "$api" --port 0 >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$out"' EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\).*/\1/p' "$out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "echo_server did not start: $(cat "$out")" >&2; exit 1; }
build/release/bench/soak --port "$port" --pid "$server" "${args[@]}"
