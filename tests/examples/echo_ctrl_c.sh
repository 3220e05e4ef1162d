#!/bin/bash
# Starts examples/echo_server, connects a client that stays idle, sends the
# server Ctrl-C (SIGINT) and checks that it closes the client's connection
# and exits at once with status 0.
#   echo_ctrl_c.sh <echo_server> <protocol|streams>
set -eu
. "$(dirname "$0")/wait_listening.sh"
server=$1 api=$2
log=$(mktemp)
# A non-interactive shell starts background jobs with SIGINT ignored.
env --default-signal=INT "$server" --api "$api" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill -9 "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
wait_listening "$log" "$pid" "echo_server"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'ping\n' >&3
read -r -t 10 reply <&3
echo "echo: $reply"
kill -INT "$pid"
# The server must end the idle connection (EOF) and exit, well within 10 s.
if read -r -t 10 more <&3; then
  echo "unexpected data after Ctrl-C: $more" >&2
  exit 1
fi
status=0
for _ in $(seq 200); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
if kill -0 "$pid" 2>/dev/null; then
  echo "echo_server still running 10 s after Ctrl-C" >&2
  cat "$log" >&2
  exit 1
fi
wait "$pid" || status=$?
cat "$log"
echo "exit status $status"
