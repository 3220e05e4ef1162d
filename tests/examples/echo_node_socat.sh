#!/bin/sh
# Runs examples/echo_server built for wasm32-emscripten under Node.js on a
# free loopback port, and a native client (socat) against it: three lines
# sent, the echo printed, and then the server's exit on SIGTERM checked.
#   echo_node_socat.sh <node> <echo_server.js> <protocol|streams>
set -eu
. "$(dirname "$0")/wait_listening.sh"
node=$1 server=$2 api=$3
log=$(mktemp)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -f "$log"' EXIT
"$node" "$server" --api "$api" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
pid=$!
wait_listening "$log" "$pid" "echo_server under Node.js" 400
sed -n 's/^\(listening on 127.0.0.1:\)[0-9]*/\1PORT/p' "$log"
# socat sends the lines, shuts its side down (FIN) and prints what comes
# back until the server closes (or 5 s pass).
got=$(printf 'hello %s 1\nhello %s 2\nhello %s 3\n' "$api" "$api" "$api" | socat -t 5 - "TCP:127.0.0.1:$port")
printf '%s\n' "$got" | sed 's/^/socat got: /'
