#!/bin/sh
# Runs examples/udp_echo on a free loopback port and checks it with socat
# (a UDP client no one here wrote): each datagram must come back.
#   udp_echo_socat.sh <udp_echo>
set -eu
server=$1
log=$(mktemp)
"$server" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
i=0
until grep -q "^listening on" "$log"; do
  i=$((i + 1))
  if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "udp_echo did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.05
done
port=$(sed -n 's/^listening on [^:]*:\([0-9]*\).*/\1/p' "$log")
for n in 1 2 3; do
  reply=$(printf 'datagram %s' "$n" | socat -T 5 - "UDP4:127.0.0.1:$port")
  echo "socat got: $reply"
done
