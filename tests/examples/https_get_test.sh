#!/bin/sh
# Runs examples/https_get against `openssl s_server -www` (which answers
# GET / with a page about the connection) with a throw-away CA:
#   - with --cafile: the page is printed, exit 0;
#   - without it (the system's CAs do not know the test CA): exit 1 and
#     "certificate verify failed".
#   https_get_test.sh <https_get>
set -eu
https_get=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
"$here/make_test_certs.sh" "$work"
# Port 0: s_server picks one and prints "ACCEPT 127.0.0.1:PORT".
openssl s_server -www -accept "127.0.0.1:0" -cert "$work/server.pem" -key "$work/server.key" \
  </dev/null >"$work/s_server.log" 2>&1 &
pid=$!
i=0
until grep -q "^ACCEPT" "$work/s_server.log"; do
  i=$((i + 1))
  if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "openssl s_server did not start:" >&2
    cat "$work/s_server.log" >&2
    exit 1
  fi
  sleep 0.05
done
port=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$work/s_server.log" | head -n1)
echo "== verified with --cafile"
"$https_get" "https://localhost:$port/" --cafile "$work/ca.pem" >"$work/page.html" 2>"$work/get.err"
status=$?
cat "$work/get.err" >&2
grep -q "s_server -www" "$work/page.html" || { echo "unexpected page:" >&2; cat "$work/page.html" >&2; exit 1; }
grep -q "TLSv1.3" "$work/page.html"
echo "page received (status $status)"
echo "== without the CA"
if "$https_get" "https://localhost:$port/" >"$work/page2.html" 2>"$work/get2.err"; then
  echo "https_get succeeded without the CA" >&2
  exit 1
fi
cat "$work/get2.err"
grep -q "certificate verify failed" "$work/get2.err"
echo "refused as expected"
