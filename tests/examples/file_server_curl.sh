#!/bin/sh
# Serves a 256 MiB file with examples/file_server (loop.sendfile) and
# fetches it with curl (a client no one here wrote): checksums must match.
#   file_server_curl.sh <file_server> [MiB]
set -eu
. "$(dirname "$0")/wait_listening.sh"
server=$1
mib=${2:-256}
dir=$(mktemp -d)
log="$dir/log"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
# Incompressible, reproducible content: a counter through sha256.
i=0
: >"$dir/chunk"
while [ "$i" -lt 32 ]; do printf '%s' "$i" | sha256sum >>"$dir/chunk"; i=$((i + 1)); done
head -c 1048576 /dev/zero | tr '\0' 'x' >"$dir/mib"
cat "$dir/chunk" "$dir/mib" | head -c 1048576 >"$dir/one"
i=0
: >"$dir/big"
while [ "$i" -lt "$mib" ]; do
  printf '%08d' "$i" >>"$dir/big"
  head -c 1048568 "$dir/one" >>"$dir/big"
  i=$((i + 1))
done
"$server" --root "$dir" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
pid=$!
wait_listening "$log" "$pid" "file_server"
curl -sS --fail -o "$dir/got" "http://127.0.0.1:$port/big"
want=$(sha256sum <"$dir/big" | cut -d' ' -f1)
got=$(sha256sum <"$dir/got" | cut -d' ' -f1)
echo "size: $(wc -c <"$dir/got") bytes"
if [ "$want" = "$got" ]; then echo "checksum equal"; else echo "checksum differs: $want $got"; exit 1; fi
curl -s -o /dev/null -w 'missing: %{http_code}\n' "http://127.0.0.1:$port/nothing"
