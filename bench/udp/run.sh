#!/usr/bin/env bash
# Builds the release preset's UDP echo servers and load generator, then runs
# the UDP benchmark (bench/README.md explains the figures). Extra arguments
# go to udp_load, e.g.  bench/udp/run.sh --duration 2 --repeat 3
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release >/dev/null
fi
cmake --build --preset release --target udp_echo bare_udp_echo udp_load >/dev/null
exec build/release/bench/udp_load \
  --bare build/release/bench/bare_udp_echo \
  --server build/release/examples/udp_echo "$@"
