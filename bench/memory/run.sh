#!/usr/bin/env bash
# Memory per idle connection (bench/README.md, "Memory per connection"):
# N connections held open against a line-echo streams server whose
# handlers await readline(), the server's resident set read from /proc,
# for this library's streams, uvloop's (Debian: python3-uvloop, for
# /usr/bin/python3) and Go's (Debian: golang-go; skipped if `go` is
# missing), each server in its own process, one after the other, in the
# same run. Then B of the connections are made busy and go idle again.
#   bench/memory/run.sh                       # 10,000 connections, 1,000 busy
#   bench/memory/run.sh --conns 2000 --busy 500 --repeat 3
# Extra arguments go to idle_conns (--conns, --busy, --busy-seconds,
# --settle, --line-bytes: the busy phase's line size, 1024 by default;
# 49152 makes the reads large enough for readers to take read chunks);
# --repeat N runs the set N times; --only NAME runs one server
# (asyncio, uvloop, go, cpython).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
repeat=1
only=
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release >/dev/null
fi
cmake --build --preset release --target idle_server idle_conns >/dev/null
if command -v go >/dev/null; then
  GOCACHE="${GOCACHE:-$here/build/release/go-cache}" go build -o build/release/bench/idle_server_go bench/memory/idle_server.go
fi
# 10,000 sockets per process, and a few more.
ulimit -n "$(ulimit -Hn)"
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)

server_pid=
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

# run NAME COMMAND...: starts the server, reads its port, runs the client.
run() {
  local name=$1 out port
  shift
  out=$(mktemp)
  "$@" >"$out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\).*/\1/p' "$out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "$name: did not start: $(cat "$out")" >&2
  else
    build/release/bench/idle_conns --name "$name" --port "$port" --pid "$server_pid" "${args[@]}"
  fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  rm -f "$out"
}

printf '%-16s %8s %8s %8s %10s %10s %9s %9s %7s %6s\n' server 'base KB' 'idle KB' 'peak KB' 'peak/conn' \
  'added/conn' 'busy KB' 'after KB' 'after/idle' rounds
for _ in $(seq "$repeat"); do
  [ -z "$only" ] || [ "$only" = asyncio ] && run asyncio-cpp build/release/bench/idle_server
  if [ -z "$only" ] || [ "$only" = uvloop ]; then
    if "$python" -c 'import uvloop' 2>/dev/null; then
      run uvloop "$python" bench/memory/idle_server.py
    else
      echo "uvloop: not importable by $python (Debian: python3-uvloop)" >&2
    fi
  fi
  if [ -z "$only" ] || [ "$only" = go ]; then
    if [ -x build/release/bench/idle_server_go ]; then run go build/release/bench/idle_server_go; else echo "go: not installed (Debian: golang-go)" >&2; fi
  fi
  [ "$only" = cpython ] && run cpython "$python" bench/memory/idle_server.py --asyncio
done
exit 0
