#!/bin/sh
# Runs examples/echo_server on a free loopback port and examples/echo_client
# against it; the client's exit status says whether every reply matched.
# With "tls", over TLS: a throw-away CA and certificate (make_test_certs.sh),
# echo_server --tls CERT KEY, echo_client --cafile CA.
#   echo_pair.sh <echo_server> <echo_client> <protocol|streams> [tls]
set -eu
. "$(dirname "$0")/wait_listening.sh"
server=$1 client=$2 api=$3 tls=${4:-}
log=$(mktemp)
certs=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$log" "$certs"' EXIT
server_tls= client_tls=
if [ "$tls" = tls ]; then
  "$(dirname "$0")/make_test_certs.sh" "$certs"
  server_tls="--tls $certs/server.pem $certs/server.key"
  client_tls="--cafile $certs/ca.pem"
fi
# shellcheck disable=SC2086
"$server" --api "$api" --host 127.0.0.1 --port 0 $server_tls >"$log" 2>&1 &
pid=$!
wait_listening "$log" "$pid" "echo_server"
# shellcheck disable=SC2086
"$client" --host 127.0.0.1 --port "$port" --count 3 --message "hello $api" $client_tls
