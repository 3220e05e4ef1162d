#!/usr/bin/env bash
# Builds the release preset's echo servers and load generator, then runs the
# echo benchmark (bench/README.md explains the figures). Extra arguments go
# to echo_load, e.g.:
#   bench/echo/run.sh --duration 5 --repeat 3
#   bench/echo/run.sh --sizes 1024 --conns 10 --depth 4
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release >/dev/null
fi
cmake --build --preset release --target echo_server bare_echo_server echo_load >/dev/null
exec build/release/bench/echo_load \
  --bare build/release/bench/bare_echo_server \
  --server build/release/examples/echo_server "$@"
