#!/bin/sh
# Runs examples/udp_echo on a free loopback port and checks it with socat
# (a UDP client no one here wrote): each datagram must come back.
#   udp_echo_socat.sh <udp_echo>
set -eu
. "$(dirname "$0")/wait_listening.sh"
server=$1
log=$(mktemp)
"$server" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
wait_listening "$log" "$pid" "udp_echo"
for n in 1 2 3; do
  reply=$(printf 'datagram %s' "$n" | socat -T 5 - "UDP4:127.0.0.1:$port")
  echo "socat got: $reply"
done
