#!/usr/bin/env bash
# Builds the release preset's echo servers and load generator, then runs the
# echo benchmark (bench/README.md explains the figures). Extra arguments go
# to echo_load, e.g.:
#   bench/echo/run.sh --duration 5 --repeat 3
#   bench/echo/run.sh --sizes 1024 --conns 10 --depth 4
#   bench/echo/run.sh --sizes 64,1024,65536,1048576 --conns 1,10,100 --repeat 3
# Servers run on CPU 0 and the load generator on CPU 1 (--pin none: not
# pinned). After the medians, paired lines per configuration: protocol vs
# bare, streams vs bare, and streams vs protocol (issue 17's ratio).
# --baseline PATH adds another echo_server build (e.g. main's) beside.
# With --tls first: the TLS echo benchmark, against the bare libuv + OpenSSL
# server, CPython's asyncio and uvloop (Debian: python3-uvloop) with ssl=,
# with a throw-away certificate:
#   bench/echo/run.sh --tls --conns 10 --repeat 3
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
tls=
if [ "${1:-}" = --tls ]; then
  tls=1
  shift
fi
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release >/dev/null
fi
if [ -z "$tls" ]; then
  cmake --build --preset release --target echo_server bare_echo_server echo_load >/dev/null
  exec build/release/bench/echo_load \
    --bare build/release/bench/bare_echo_server \
    --server build/release/examples/echo_server "$@"
fi
cmake --build --preset release --target echo_server bare_tls_echo_server echo_load >/dev/null
certs=$(mktemp -d)
trap 'rm -rf "$certs"' EXIT
tests/examples/make_test_certs.sh "$certs"
# Debian's interpreter: python3-uvloop is installed for it.
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
build/release/bench/echo_load \
  --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" \
  --bare-tls build/release/bench/bare_tls_echo_server \
  --server build/release/examples/echo_server \
  --python "$python" --py-server bench/echo/tls_echo_server.py "$@"
