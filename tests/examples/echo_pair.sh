#!/bin/sh
# Runs examples/echo_server on a free loopback port and examples/echo_client
# against it; the client's exit status says whether every reply matched.
#   echo_pair.sh <echo_server> <echo_client> <protocol|streams>
set -eu
server=$1 client=$2 api=$3
log=$(mktemp)
"$server" --api "$api" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
i=0
until grep -q "^listening on" "$log"; do
  i=$((i + 1))
  if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "echo_server did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.05
done
port=$(sed -n 's/^listening on [^:]*:\([0-9]*\).*/\1/p' "$log")
"$client" --host 127.0.0.1 --port "$port" --count 3 --message "hello $api"
