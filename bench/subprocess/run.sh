#!/usr/bin/env bash
# Runs the subprocess benchmark: the library (spawn_bench), a bare libuv C
# program (bare_spawn) and CPython's asyncio (spawn_bench.py), the same work
# in the same run, and prints CPU time per child and cat throughput.
#
#   bench/subprocess/run.sh [build-dir]   (default build/release, else build/dev)
#
# For cat, bare-fifo is the bare program over pipe2() pipes (what the library
# and CPython give the child), bare over libuv's socket pairs; the library's
# catsock line is its own cat over a socket pair (the child's stdin and
# stdout), bare's like-for-like. communicate
# (COMM_BYTES, default 256 MiB) is Process.communicate(input) through cat:
# the input handed over at once, the output gathered in memory; its floor is
# the cat lines' bare-fifo (which keeps no output).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-}"
if [ -z "$build" ]; then
  build="$here/../../build/release"
  [ -x "$build/bench/spawn_bench" ] || build="$here/../../build/dev"
fi
n=${SPAWNS:-2000}
bytes=${CAT_BYTES:-1073741824}
comm_bytes=${COMM_BYTES:-268435456}
printf '%-10s %-16s %10s %12s %16s\n' impl work wall_s cpu_s per_child_or_MBps
run() {
  local impl="$1"; shift
  local out
  out="$("$@")"
  set -- $out
  if [ "$1" = spawn ]; then
    printf '%-10s %-16s %10s %12s %13.1f us\n' "$impl" "spawn $2 $3" "$4" "$5" "$(awk -v c="$5" -v n="$2" 'BEGIN { print c * 1000000 / n }')"
  else
    printf '%-10s %-16s %10s %12s %11.0f MB/s\n' "$impl" "$1 $2" "$3" "$4" "$(awk -v b="$2" -v t="$3" 'BEGIN { print b / t / 1000000 }')"
  fi
}
for mode in "spawn $n 1" "spawn $n 50" "cat $bytes" "communicate $comm_bytes"; do
  [ "${mode%% *}" = communicate ] || run bare "$build/bench/bare_spawn" $mode
  # The like-for-like floor for cat: pipe2() pipes, as the library uses.
  [ "${mode%% *}" = cat ] && run bare-fifo "$build/bench/bare_spawn" catfifo "$bytes"
  run asyncio++ "$build/bench/spawn_bench" $mode
  [ "${mode%% *}" = cat ] && run asyncio++ "$build/bench/spawn_bench" catsock "$bytes"
  run cpython python3 "$here/spawn_bench.py" $mode
done
